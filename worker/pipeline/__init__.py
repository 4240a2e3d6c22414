"""Pure template-OCR pipeline (no AWS imports): align a query to its template, read the regions."""
