"""Shared text vectoriser for the RAG notebook (notebooks/rag_assistant.yaml).

This ONE file is declared in `inputs` by both sides of the split:

  * offline, the `embed` cell uses it to embed every chunk of the corpus and
    to fit the IDF weights;
  * online, the `answer` cell uses it to embed each incoming question and to
    search the published index.

If the two sides tokenised or hashed text differently, questions and
documents would land in different places of the vector space and retrieval
would silently get worse (training/serving skew). Sharing the code, and
shipping everything *learned from data* (the IDF weights) inside the
published index, removes that risk. The index also records the SHA-256 of
this file, so the online side can refuse an index built by other code.

Scheme: "hashing TF-IDF". Tokens (stemmed unigrams) are hashed into
`dims` buckets with a stable hash (BLAKE2b, never Python's randomised
`hash()`), each bucket gets a +1/-1 sign from the hash to cancel collisions
on average, term counts are damped (1 + log tf), weighted by the bucket's
IDF, and the vector is L2-normalised, so cosine similarity is a dot product.
Vectors are sparse: a dict {bucket: weight}. (Adding bigrams was tried:
with only 512 buckets the extra collisions made retrieval worse on the
notebook's evaluation questions, see the `eval_retrieval` cell.)

Standard library only.
"""

import hashlib
import math
import re
import unicodedata

SCHEME = "hashing-tfidf/1"

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be
    because been before being below between both but by can could did do does
    doing down during each even ever every few for from further get gets got
    had has have having he her here hers herself him himself his how i if in
    into is it its itself just let lets like may me might more most much must
    my myself no nor not now of off often on once one only or other our ours
    ourselves out over own per rather same she should so some such than that
    the their theirs them themselves then there these they this those through
    thus to too under until up upon us usually very via was way we well were
    what when where whether which while who whom whose why will with within
    without would yet you your yours yourself yourselves
    """.split()
)

_TOKEN_RE = re.compile(r"[a-z0-9]+")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def normalise(text):
    """Unicode-normalise and collapse whitespace (no case change)."""
    text = unicodedata.normalize("NFKC", text)
    text = (
        text.replace("\u2018", "'")
        .replace("\u2019", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2013", "-")
        .replace("\u2014", "-")
    )
    return " ".join(text.split())


def stem(word):
    """A deliberately tiny suffix stripper: 'indexes' -> 'index', 'rollouts' -> 'rollout'."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("xes", "x"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("ing", ""),
        ("ed", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + repl
    return word


def tokenize(text):
    """Lowercase, split on non-alphanumerics, drop stopwords, stem."""
    words = _TOKEN_RE.findall(normalise(text).lower())
    return [stem(w) for w in words if w not in STOPWORDS and len(w) > 1]


def bucket(term, dims):
    """Stable (bucket, sign) for a term. Same on every machine and process."""
    h = int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "big")
    return h % dims, (1.0 if (h >> 63) & 1 else -1.0)


def fit_vocab(texts):
    """Sorted list of every token seen in the corpus (offline only).

    Hashing alone maps ANY word to some bucket, so "banana smoothie" would
    collide with real terms and retrieve something. The online side drops
    question tokens the corpus never contained; like the IDF, this
    vocabulary is learned offline and shipped inside the index.
    """
    return sorted({t for text in texts for t in tokenize(text)})


def hashed_counts(text, dims, vocab=None):
    """{bucket: signed term count} for a text (tokens outside `vocab` ignored)."""
    counts = {}
    for t in tokenize(text):
        if vocab is not None and t not in vocab:
            continue
        b, s = bucket(t, dims)
        counts[b] = counts.get(b, 0.0) + s
    return counts


def fit_idf(texts, dims):
    """Smoothed IDF per bucket, learned from the corpus (offline only)."""
    df = [0] * dims
    for text in texts:
        for b in set(hashed_counts(text, dims)):
            df[b] += 1
    n = len(texts)
    return [round(math.log((1 + n) / (1 + d)) + 1.0, 6) for d in df]


def embed(text, idf, vocab=None):
    """Sparse, L2-normalised hashing TF-IDF vector {bucket: weight}."""
    dims = len(idf)
    vec = {}
    for b, c in hashed_counts(text, dims, vocab).items():
        if c == 0:
            continue
        tf = math.copysign(1.0 + math.log(abs(c)), c)
        vec[b] = tf * idf[b]
    norm = math.sqrt(sum(v * v for v in vec.values()))
    if norm == 0.0:
        return {}
    return {b: round(v / norm, 6) for b, v in sorted(vec.items())}


def cosine(a, b):
    """Dot product of two sparse unit vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


def split_sentences(text):
    """Split prose into sentences (good enough for the bundled corpus)."""
    return [s.strip() for s in _SENTENCE_RE.split(text) if s.strip()]


def vocabulary(index):
    """The index's vocabulary as a set, built once per loaded index."""
    cached = index.get("_vocab_set")
    if cached is None:
        cached = index["_vocab_set"] = frozenset(index["vocab"])
    return cached


def search(index, query, top_k):
    """Top-k chunks for a query using the index's inverted postings.

    `index` is the published JSON: {"idf": [...], "vocab": [...],
    "chunks": [...], "postings": {"bucket": [[chunk_no, weight], ...]}}.
    Only chunks sharing at least one bucket with the query are touched,
    which is why the postings are built offline.
    Returns [(score, chunk_no)], best first, ties broken by chunk order.
    """
    q = embed(query, index["idf"], vocabulary(index))
    scores = {}
    postings = index["postings"]
    for b, qv in q.items():
        for chunk_no, w in postings.get(str(b), ()):
            scores[chunk_no] = scores.get(chunk_no, 0.0) + qv * w
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(round(s, 6), c) for c, s in ranked[:top_k] if s > 0.0]
