"""newswatch's developer tools: the `newswatch` command line, the embedded local stack (moto),
evaluation against reference data and the HTML report.

They import the Lambda runtime (:mod:`newswatch`) and are never imported by it, so the layer that
SAM builds from ``layers/core`` carries none of this code.
"""
