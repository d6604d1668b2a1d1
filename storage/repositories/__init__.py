"""Repositories: plain records in, plain records out, over one ``storage.driver.Transaction``.

Every statement is a module-level ``Statement`` with bound parameters, compiled once per
dialect; nothing is built per call.
"""
