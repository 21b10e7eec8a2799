"""Pure helpers: no web or database imports."""
