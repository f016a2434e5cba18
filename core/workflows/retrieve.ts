/** A document a workflow was given, to retrieve passages from. */
export interface SourceDocument {
  id: string;
  title?: string;
  text: string;
}

export interface RetrievedPassage extends SourceDocument {
  score: number;
}

/** Retrieval over documents given as inputs; the knowledge store plugs in behind this later. */
export interface Retriever {
  retrieve(documents: readonly SourceDocument[], query: string, topK: number): RetrievedPassage[];
}

const tokens = (text: string): string[] => text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];

/**
 * BM25 over the given documents: dependable lexical ranking that needs no model and no index,
 * deterministic for replay. Ties keep document order.
 */
export const lexicalRetriever: Retriever = {
  retrieve(documents, query, topK) {
    const k1 = 1.2;
    const b = 0.75;
    const docs = documents.map((d) => tokens(`${d.title ?? ''} ${d.text}`));
    const averageLength = docs.reduce((sum, d) => sum + d.length, 0) / Math.max(docs.length, 1);
    const queryTerms = [...new Set(tokens(query))];
    const documentFrequency = new Map(queryTerms.map((term) => [term, docs.filter((d) => d.includes(term)).length]));
    return documents
      .map((document, index) => {
        const words = docs[index] ?? [];
        let score = 0;
        for (const term of queryTerms) {
          const frequency = words.filter((w) => w === term).length;
          if (frequency === 0) continue;
          const df = documentFrequency.get(term) ?? 0;
          const idf = Math.log(1 + (documents.length - df + 0.5) / (df + 0.5));
          score += (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * words.length) / (averageLength || 1)));
        }
        return { ...document, score: Math.round(score * 1e6) / 1e6, index };
      })
      .sort((x, y) => y.score - x.score || x.index - y.index)
      .slice(0, topK)
      .map(({ index: _index, ...passage }) => passage);
  },
};
