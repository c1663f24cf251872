"""One spider per site-rules file in ``crawler/sites/``: ``scrapy list`` shows them by name."""

from lendcorpus.siterules import load_all
from lendcorpus.crawler.spiders.base import RuleSpider


def _make(rules):
    return type(
        f"{rules.name.title().replace('_', '')}Spider",
        (RuleSpider,),
        {"name": rules.name, "rules": rules, "source": rules.name,
         "allowed_domains": list(rules.allowed_domains), "__module__": __name__},
    )


for _rules in load_all().values():
    globals()[_make(_rules).__name__] = _make(_rules)
del _rules
