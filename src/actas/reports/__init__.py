"""Reports people read: the forensic findings and the whole evidence on an election, as a self-contained
HTML page with its figures as PNG files, and as JSON."""
