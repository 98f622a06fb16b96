"""The S3 client (every call classified and retried in one place) and bucket set-up."""
