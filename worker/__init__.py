"""The OCR worker: long-polls SQS, runs the template pipeline in processes, stores and announces results."""
