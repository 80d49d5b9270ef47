"""Vault adapters: `local.LocalVault` (key file) and the Secret Manager / envelope vaults (cloud).

This package imports none of them, so local mode never loads a cloud SDK.
"""
