"""Readers and writers for the file formats the pipeline consumes and produces."""
