"""Typical wrong answers for lesson 14, graded together in one extra submission."""

WRONG = {
    # Forgets scheduler.step(): the learning rate stays at the first warm-up value (1/60 of the peak), so the
    # loss falls a little but the translator never learns (and Exercise 14.3 fails with it).
    "ex14_1": '''
def train_epoch(model, batches, optimizer, scheduler, loss_fn, max_grad_norm=1.0):
    model.train()
    losses = []
    for batch in batches:
        decoder_input, labels = shift_targets(batch["tgt"], model.pad_id, batch["tgt_padding_mask"])
        logits = model(batch["src"], decoder_input, batch["src_padding_mask"], batch["tgt_padding_mask"][:, :-1])
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        losses.append(loss.item())
    return losses
''',
    # Encodes the source without the <eos> that every training source ended with.
    "ex14_2": '''
def translate(model, sentences, src_vocab, tgt_vocab, max_new_tokens=20):
    sources = [src_vocab.encode(sentence) for sentence in sentences]
    lengths = torch.tensor([len(source) for source in sources])
    src = torch.full((len(sources), int(lengths.max())), src_vocab.pad_id, dtype=torch.long)
    for row, source in enumerate(sources):
        src[row, : len(source)] = torch.tensor(source)
    mask = torch.arange(src.shape[1])[None, :] >= lengths[:, None]
    written = greedy_decode(model, src, tgt_vocab.bos_id, tgt_vocab.eos_id, max_new_tokens, mask)
    return [tgt_vocab.decode(row) for row in written]
''',
}
