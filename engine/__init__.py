"""The engine: compiled agreements, incident validation, evaluation, explanations, CAP import."""
