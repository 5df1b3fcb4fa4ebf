"""The web page `gemeingut serve` shows at `/`: chat, documents with sources, and a look inside
the model (token probabilities), German first, every asset local (it runs air-gapped)."""
