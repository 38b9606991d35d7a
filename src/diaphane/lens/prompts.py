"""The prompts the probes of :mod:`diaphane.lens.probes` run by default.

- :data:`AGREEMENT_PROMPTS`: subject-verb agreement with an attractor noun, half with a
  singular subject, half plural, the verbs single GPT-2-style tokens.
- :data:`CANDIDATE_PROMPTS`: completions a small model trained on Wikipedia, news and
  Brown could learn; which ones a model gets right is measured, never assumed.
"""

from __future__ import annotations

__all__ = ["AGREEMENT_PROMPTS", "CANDIDATE_PROMPTS"]

# (prompt, grammatical verb, ungrammatical verb); the noun just before the verb (the
# attractor) always has the other number, so copying the nearest noun's number fails.
AGREEMENT_PROMPTS: tuple[tuple[str, str, str], ...] = (
    ("The keys to the cabinet", " are", " is"),
    ("The key to the cabinets", " is", " are"),
    ("The authors of the book", " are", " is"),
    ("The author of the books", " is", " are"),
    ("The labels on the bottle", " are", " is"),
    ("The label on the bottles", " is", " are"),
    ("The members of the committee", " are", " is"),
    ("The price of the tickets", " is", " are"),
    ("The windows of the house", " are", " is"),
    ("The color of the flowers", " is", " are"),
    ("The roads to the village", " were", " was"),
    ("The road to the villages", " was", " were"),
    ("The pictures of the child", " were", " was"),
    ("The picture of the children", " was", " were"),
    ("The students of the teacher", " were", " was"),
    ("The teacher of the students", " was", " were"),
    ("The soldiers in the army", " were", " was"),
    ("The captain of the ships", " was", " were"),
    ("The men with the gun", " were", " was"),
    ("The man with the guns", " was", " were"),
    ("The leaders of the party", " have", " has"),
    ("The leader of the rebels", " has", " have"),
    ("The dogs of the owner", " have", " has"),
    ("The owner of the dogs", " has", " have"),
    ("The players on the team", " have", " has"),
    ("The mayor of the cities", " has", " have"),
    ("The results of the election", " have", " has"),
    ("The cost of the repairs", " has", " have"),
)

# (prompt, expected next token): completions a small model trained on Wikipedia, news
# and Brown could learn. Which of them a given model gets right is measured, not assumed.
CANDIDATE_PROMPTS: tuple[tuple[str, str], ...] = (
    ("The United States of", " America"),
    ("The president of the United", " States"),
    ("the Prime", " Minister"),
    ("the Prime Minister of the United", " Kingdom"),
    ("Paris is the capital of", " France"),
    ("the Soviet", " Union"),
    ("the European", " Union"),
    ("the Second World", " War"),
    ("the First World", " War"),
    ("the American Civil", " War"),
    ("the Roman Catholic", " Church"),
    ("the Holy Roman", " Empire"),
    ("the Middle", " East"),
    ("the Supreme", " Court"),
    ("the Atlantic", " Ocean"),
    ("the Pacific", " Ocean"),
    ("the Nobel", " Prize"),
    ("the Olympic", " Games"),
    ("the New York", " Times"),
    ("Los", " Angeles"),
    ("San", " Francisco"),
    ("Hong", " Kong"),
    ("New South", " Wales"),
    ("Prime Minister John", " Howard"),
    ("Yasser", " Arafat"),
    ("Osama bin", " Laden"),
    ("the Gaza", " Strip"),
    ("the United Nations Security", " Council"),
    ("Monday, Tuesday,", " Wednesday"),
    ("Monday, Tuesday, Wednesday,", " Thursday"),
    ("January, February,", " March"),
    ("January, February, March,", " April"),
    ("one, two, three,", " four"),
    ("one, two, three, four,", " five"),
    ("1, 2, 3,", " 4"),
    ("first, second,", " third"),
    ("A, B, C,", " D"),
    ("It is one of the", " most"),
    ("as well", " as"),
    ("in order", " to"),
    ("according", " to"),
    ("on the other", " hand"),
    ("at the same", " time"),
    ("as a result", " of"),
    ("a number", " of"),
    ("in addition", " to"),
    ("ladies and", " gentlemen"),
    ("the rest of the", " world"),
)
