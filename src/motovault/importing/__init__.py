"""Import batches (docs/imports.md): the worker job that parses uploaded files into staged rows, and the
API client behind `motovault import`.

    staging   ParsedFile (motovault.imports) -> the JSON app.import_stage takes
    worker    ImportWorker: claim (SKIP LOCKED, lease), parse, stage or fail; LISTEN import_parse
    client    ImportClient: start, wait, preview, confirm, commit, undo over PostgREST (httpx)

Preview, commit and undo are SQL (deploy/import_apply.sql): every row meets the rules as the member.
"""
