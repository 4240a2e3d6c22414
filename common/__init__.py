"""Code shared by the gateway and the worker: settings, schemas, image checks and the AWS adapters."""
