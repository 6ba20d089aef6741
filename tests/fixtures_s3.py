"""S3 fixtures (moto's S3 server, in-process). Filled in by the S3 store work."""
