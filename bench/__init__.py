"""`python -m bench`: the performance benchmark of the platform (docs/performance.md).

It starts the embedded stack itself, measures the order API against a bare-FastAPI ceiling,
the whole pipeline against a bare SQS floor on the same emulator, and each process's peak
RSS, and prints one table. It measures; it asserts nothing.
"""
