"""Leaving motovault with your data: the tenant document (api.export_tenant / api.import_tenant) and
the LubeLogger CSV layout of one vehicle, both read through the API (docs/exports.md)."""
