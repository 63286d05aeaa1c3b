"""Stage 5, report: tables (Markdown, LaTeX, HTML), figures and one self-contained
report.html per study."""
