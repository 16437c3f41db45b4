"""Token display: the subword pieces a tokenizer makes, with their ids."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass
class TokenTable:
    """Tokens and ids of one text; shows as a coloured HTML strip in a notebook and as text elsewhere."""

    text: str
    tokens: list[str]
    ids: list[int]

    def __str__(self) -> str:
        width = [max(len(t), len(str(i))) for t, i in zip(self.tokens, self.ids)]
        top = " | ".join(t.ljust(w) for t, w in zip(self.tokens, width))
        bottom = " | ".join(str(i).ljust(w) for i, w in zip(self.ids, width))
        return f"{self.text!r} -> {len(self.tokens)} tokens\n{top}\n{bottom}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colours = ["#e0f2f1", "#fff3e0", "#e8eaf6", "#fce4ec"]
        cells = "".join(
            f'<span style="display:inline-block;margin:2px;padding:2px 5px;border-radius:4px;'
            f'background:{colours[k % len(colours)]};font-family:monospace;text-align:center">'
            f"{html.escape(token).replace(' ', '&middot;')}<br><small style='color:#555'>{token_id}</small></span>"
            for k, (token, token_id) in enumerate(zip(self.tokens, self.ids))
        )
        return f"<div><b>{html.escape(repr(self.text))}</b> &rarr; {len(self.tokens)} tokens<br>{cells}</div>"


def show_tokens(tokenizer, text: str, *, add_special_tokens: bool = True) -> TokenTable:
    """Tokenize ``text`` and return its pieces with their ids, ready to display.

    Works with a Hugging Face tokenizer (``tokenizer(text)["input_ids"]``) or a ``tokenizers.Tokenizer``
    (``tokenizer.encode(text).ids``). Spaces inside a piece are shown as a middle dot.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if hasattr(tokenizer, "convert_ids_to_tokens"):  # transformers tokenizer
        ids = list(tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])
        tokens = tokenizer.convert_ids_to_tokens(ids)
    elif hasattr(tokenizer, "encode") and hasattr(tokenizer, "id_to_token"):  # tokenizers.Tokenizer
        encoding = tokenizer.encode(text, add_special_tokens=add_special_tokens)
        ids, tokens = list(encoding.ids), list(encoding.tokens)
    else:
        raise TypeError("tokenizer must be a transformers tokenizer or a tokenizers.Tokenizer, "
                        f"got {type(tokenizer).__name__}")
    return TokenTable(text=text, tokens=list(tokens), ids=[int(i) for i in ids])
