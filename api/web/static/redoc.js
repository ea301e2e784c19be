// ReDoc for /redoc, served from this process (no CDN), started from a file (CSP).
Redoc.init("/openapi.json", { hideDownloadButton: false }, document.getElementById("redoc"));
