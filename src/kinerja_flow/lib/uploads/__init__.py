"""Uploaded files: type by content, size limit while copying, content-addressed storage."""
