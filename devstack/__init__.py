"""The embedded default: the whole system on one machine against moto's server (no AWS account)."""
