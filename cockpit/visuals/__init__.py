"""Visual kinds. Each kind is one module exposing `VISUAL`; the registry finds them through the
`cockpit.visuals` entry-point group, so a plug-in package registers a kind exactly as these do."""
