"""Reports of one incident: its facts, the situation report (PDF, CSV) and its timeline."""
