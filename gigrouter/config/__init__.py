"""Stage 1: the config files -> the typed platform.

``load`` reads YAML with line numbers and builds the model (errors name file, line and key),
``overlay`` merges an environment's overlay into the base data, ``passthrough`` reads the files
an application copies from the config repo.
"""
