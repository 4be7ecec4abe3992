"""The web app at `/`: server-rendered pages over the same /v1 routes, called in-process."""
