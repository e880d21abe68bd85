"""Shared embedding and vector-search code for the RAG notebook
(notebooks/rag_assistant.yaml).

This ONE file is declared in `inputs` by both sides of the split:

  * offline, `embed` fits the embedder on the corpus and embeds every chunk,
    `build_index` writes the vector database, and `eval_retrieval` answers
    its test questions with `answer()`, exactly as the server will, and
    writes those answers as the endpoint's parity rows;
  * online, the `answer` cell opens the published database read-only and
    answers each incoming question with `answer()`.

If the two sides embedded text differently, questions and documents would
land in different places of the vector space and retrieval would silently
get worse (training/serving skew). Sharing the code, and shipping everything
*learned from data* inside the published database, removes that risk. The
database also records the SHA-256 of this file, so a server running other
code refuses to load it.

The embedder (scikit-learn, fitted offline, no downloaded weights):

  words  TfidfVectorizer, English stop words removed; its vocabulary is
         learned from the corpus (and tells the server which question words
         the corpus has ever seen)
  chars  HashingVectorizer over character 3-5-grams inside words, then
         TfidfTransformer: robust to plurals and inflections ("rollouts",
         "rolled") without a stemmer, and needs no vocabulary
  lsa    TruncatedSVD to `dims` dimensions (latent semantic analysis): the
         dense embedding stored in the vector database
  norm   L2 normalisation, so cosine similarity is a dot product

The vector database: SQLite with the sqlite-vec extension, one file. Table
`chunks` holds the text, the vec0 virtual table `chunk_vectors` the
embeddings (same rowid), `sentences` every chunk's sentences with their
embeddings (for the extractive answer), and `meta` the fitted embedder (a
skops file) and facts about the build. SQLite is driven through apsw, which bundles its own
SQLite with extension loading enabled: the interpreter's `sqlite3` module is
not always built with `enable_load_extension` (pyenv's default build is not),
and pinning apsw pins the SQLite version that writes the file.
"""

import os
import re
import urllib.parse

SCHEME = "lsa-words+chargrams/1"
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


# ---- the embedder --------------------------------------------------------

def fit_embedder(texts, dims, seed):
    """Fit the embedding pipeline on the corpus (offline only)."""
    import numpy as np
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
    from sklearn.preprocessing import Normalizer

    embedder = Pipeline([
        ("features", FeatureUnion([
            ("words", TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float32)),
            ("chars", make_pipeline(
                HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=4096,
                                  alternate_sign=False, norm=None, dtype=np.float32),
                TfidfTransformer(sublinear_tf=True))),
        ])),
        ("lsa", TruncatedSVD(n_components=dims, random_state=seed)),
        ("norm", Normalizer()),
    ])
    return embedder.fit(texts)


def words_step(embedder):
    return dict(embedder.named_steps["features"].transformer_list)["words"]


def embed(embedder, texts):
    """Unit-length float32 vectors, one row per text."""
    import numpy as np
    return np.ascontiguousarray(embedder.transform(list(texts)), dtype=np.float32)


def known_words(embedder, text):
    """The words of `text` that occur in the corpus (the fitted vocabulary).

    The character n-grams map ANY text somewhere (the n-grams of "banana
    smoothie" occur in other words of the corpus), so a question none of
    whose words the corpus contains is answered with "nothing found"
    instead of a confident-looking guess.
    """
    words = words_step(embedder)
    return [w for w in words.build_analyzer()(text) if w in words.vocabulary_]


def split_sentences(text):
    """Split prose into sentences (good enough for the bundled corpus)."""
    return [s.strip() for s in _SENTENCE_RE.split(text) if s.strip()]


# ---- the vector database ---------------------------------------------------

def _connect(path, flags, uri_query=""):
    import apsw
    import sqlite_vec

    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + uri_query
    db = apsw.Connection(uri, flags=flags | apsw.SQLITE_OPEN_URI)
    db.enable_load_extension(True)
    db.load_extension(sqlite_vec.loadable_path())
    db.enable_load_extension(False)
    return db


def create_index(path, dims):
    """A new, empty vector database (offline only)."""
    import apsw

    db = _connect(path, apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE)
    db.execute(f"""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
        CREATE TABLE chunks (id INTEGER PRIMARY KEY, chunk TEXT UNIQUE NOT NULL,
                             doc TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL);
        CREATE VIRTUAL TABLE chunk_vectors USING vec0(embedding float[{int(dims)}] distance_metric=cosine);
        CREATE TABLE sentences (chunk_id INTEGER NOT NULL REFERENCES chunks (id), n INTEGER NOT NULL,
                                text TEXT NOT NULL, embedding BLOB NOT NULL,
                                PRIMARY KEY (chunk_id, n)) WITHOUT ROWID;
    """)
    return db


def open_index(path):
    """Open a published database read-only.

    `mode=ro`: SQLite refuses every write. `immutable=1`: the file cannot
    change while open (a registry version never does), so SQLite takes no
    locks and creates no journal next to it; the directory may be read-only.
    """
    import apsw

    return _connect(path, apsw.SQLITE_OPEN_READONLY, "?mode=ro&immutable=1")


def read_meta(db):
    return {k: v for k, v in db.execute("SELECT key, value FROM meta")}


def load_embedder(db):
    """The fitted embedder stored in the database, loaded with skops.

    skops builds only the types it trusts (scikit-learn's, NumPy's), so a
    tampered database cannot run code in the server the way a pickle could.
    """
    import skops.io

    return skops.io.loads(bytes(read_meta(db)["embedder.skops"]))


def search(db, query_vector, top_k, fanout=8):
    """The `top_k` best documents for a query vector, one chunk per document.

    sqlite-vec finds the `fanout * top_k` nearest chunks (exact cosine
    search, `k = ?`); SQL then keeps each document's nearest chunk, so one
    long document cannot fill every slot. Returns dicts, best first, ties
    broken by chunk order:
    {"doc", "chunk", "title", "text", "score"} with score = cosine similarity.
    """
    n = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    rows = db.execute("""
        WITH nearest AS (
            SELECT rowid, distance FROM chunk_vectors
            WHERE embedding MATCH ? AND k = ?
        )
        SELECT c.id, c.doc, c.chunk, c.title, c.text, min(n.distance) AS distance
        FROM nearest AS n JOIN chunks AS c ON c.id = n.rowid
        GROUP BY c.doc
        ORDER BY distance, c.id
        LIMIT ?
    """, (query_vector.tobytes(), min(n, fanout * top_k), top_k))
    return [{"id": id_, "doc": doc, "chunk": chunk, "title": title, "text": text,
             "score": 1.0 - distance}
            for id_, doc, chunk, title, text, distance in rows]


def sentences_of(db, chunk_ids):
    """(chunk id, sentence, unit vector) of the given chunks, embedded offline."""
    import numpy as np

    marks = ", ".join("?" * len(chunk_ids))
    rows = db.execute(f"SELECT chunk_id, text, embedding FROM sentences "
                      f"WHERE chunk_id IN ({marks}) ORDER BY chunk_id, n", tuple(chunk_ids))
    return [(cid, text, np.frombuffer(blob, dtype=np.float32)) for cid, text, blob in rows]


# ---- the answer ------------------------------------------------------------

def answer(db, embedder, question, top_k, max_sentences=3):
    """The response to one question: what the online endpoint returns.

    Embed the question, take the `top_k` best documents (`search`), and
    compose an extractive answer from their sentences (embedded offline)
    closest to the question, nudged towards better-ranked documents:
    {"question", "answer", "sources": [{"doc", "title", "chunk", "score"}]},
    scores rounded to 3 decimals. A question none of whose words the corpus
    knows gets "nothing found" and no sources. Offline evaluation calls it
    too, so what is evaluated is exactly what is served.
    """
    if not known_words(embedder, question):
        return {"question": question, "answer": "I could not find anything about that.", "sources": []}
    q = embed(embedder, [question])[0]
    hits = search(db, q, top_k)
    rank = {h["id"]: r for r, h in enumerate(hits)}
    scored = []
    for i, (chunk_id, text, vector) in enumerate(sentences_of(db, list(rank))):
        similarity = float(vector @ q)
        if similarity > 0:
            bonus = 0.25 * hits[rank[chunk_id]]["score"]
            scored.append((-(similarity + bonus), rank[chunk_id], i, text))
    best = []
    for *_, text in sorted(scored):
        if text not in best:
            best.append(text)
        if len(best) == max_sentences:
            break
    sources = [{"doc": h["doc"], "title": h["title"], "chunk": h["chunk"],
                "score": round(h["score"], 3)} for h in hits]
    return {"question": question, "answer": " ".join(best), "sources": sources}
