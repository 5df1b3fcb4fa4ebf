"""What a reader is told where the model answered with blanks only: one sentence for the page
(a chat answer, a draft's section) and the draft's Markdown, so that a downloaded draft says
what the page says, not an empty part under its heading. Its own module: the page's texts
import it without the drafting code."""

from __future__ import annotations

from gemeingut.i18n import _

WROTE_NOTHING = _("The model wrote no answer.")
