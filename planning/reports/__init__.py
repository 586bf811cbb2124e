"""County reports (HTML, DOCX), tables and charts; read results only, never compute."""
