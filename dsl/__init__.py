"""The agreement language: grammar, syntax tree, static checks and formatter."""
