"""LLM annotators: prompts from the schema and guidelines, an OpenAI-compatible client, answers placed
at exact offsets, a cache with cost accounting, and the corpus exported as fine-tuning data.

Modules: ``prompt`` (request and taught answer), ``client`` (one completion, retries), ``place``
(answer -> spans + unplaced), ``cache``, ``cost``, ``inputs`` (texts to annotate), ``output``
(the record written, few-shot examples), ``annotate`` (the run), ``export`` (fine-tuning data).
"""
