"""Checking records: findings of a solve tied back to the record's codes as violations,
with messages and explanations, in batches and on worker processes."""
