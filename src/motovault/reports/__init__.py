"""Vehicle and fleet reports: numbers from the api views, charts drawn with matplotlib, HTML rendered
to PDF with WeasyPrint (docs/costs.md)."""
