"""Mail out: the SMTP client letters and notices are handed to."""
