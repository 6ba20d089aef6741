"""Full-text search in Vietnamese: the SearchBackend protocol and its backends."""
