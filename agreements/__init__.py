"""The agreement record over time: revisions, signatures, PDFs, incidents, duties and the audit log."""
