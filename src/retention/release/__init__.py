"""The quarterly leadership pack: kpis.json/csv, the Excel workbook, the PDF brief."""
