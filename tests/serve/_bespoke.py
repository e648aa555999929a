"""A bespoke measure published by team A (five wellbeing-bank questions, a free-text
question and a total), and forms of it in the Store, for the report and export tests."""

from __future__ import annotations

from typing import Any

ITEMS = ["connect_time", "active_moving", "notice_around", "learning_new", "give_kind"]


def publish(world: Any, measure_id: str | None = None) -> str:
    """Publish the measure for team A (added to its measures); returns its id."""
    from measurelib.serve import _composer_lib
    from measurelib.serve.models import PublishedMeasure, Team

    mid = measure_id or f"own-{world.tag}"
    text = _composer_lib.new_text(mid, "Our wellbeing check", "Us")
    text = _composer_lib.edit(text, "pick", {"picks": {"wellbeing-bank@1.0.0":
                                                       [*ITEMS, "anything_else"]}})
    text = _composer_lib.edit(text, "score", {"id": "total", "title": "Wellbeing",
                                              "method": "sum", "higher_is_better": "yes",
                                              "score_items": ITEMS})
    built = _composer_lib.check(text).built
    assert built is not None
    PublishedMeasure.objects.create(team=world.team_a, measure_id=mid, version="1.0.0",
                                    title="Our wellbeing check", composer=text,
                                    built=built.to_yaml(), sha256=built.lock.sha256)
    team = Team.objects.get(pk=world.team_a.pk)
    team.measures = "\n".join([*team.measure_ids(), mid])
    team.save(update_fields=["measures"])
    world.team_a.refresh_from_db()
    return mid


def store_forms(world: Any, measure_id: str, n: int, *, seed: int = 1,
                text: str = "", service: str | None = None) -> list[str]:
    """``n`` people of team A, each with one baseline form of the measure; answers from one
    latent trait (so the items correlate) drawn with ``seed``. Returns their ids."""
    import numpy as np

    from measurelib.serve import _library
    from measurelib.serve.models import Person

    rng = np.random.default_rng(seed)
    measure = _library.load_measure(measure_id)
    ids = []
    for _ in range(n):
        p = Person.objects.create(team=world.team_a, respondent_id=Person.new_id(),
                                  key_worker=world.users["worker"])
        trait = rng.normal()
        answers: dict[str, Any] = {
            item: int(np.clip(np.round(3 + 1.2 * trait + rng.normal(scale=0.8)), 1, 5))
            for item in ITEMS}
        if text:
            answers["anything_else"] = text
        _library.store().add_submission(
            measure, answers, respondent_id=p.respondent_id, episode="1",
            timepoint="baseline", mode="paper", service=service or world.team_a.service,
            worker="w", date="2026-03-02")
        ids.append(p.respondent_id)
    return ids
