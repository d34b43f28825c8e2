"""The real ALFWorld engine behind COPE's environment wrapper: all 134 games are winnable."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from cope.tasks.alfworld.actions import normalise
from cope.tasks.alfworld.env import AlfworldEnv, load_games, replay_walkthrough


def test_index_lists_the_134_games_and_their_files():
    games = load_games()
    assert len(games) == 134
    assert all(g.game_file.is_file() for g in games)
    counts: dict[str, int] = {}
    for g in games:
        counts[g.task_type] = counts.get(g.task_type, 0) + 1
    by_prefix = {p: sum(n for t, n in counts.items() if t.startswith(p)) for p in (
        "pick_and_place", "pick_clean", "pick_heat", "pick_cool", "look_at_obj", "pick_two")}
    assert by_prefix == {"pick_and_place": 24, "pick_clean": 31, "pick_heat": 23,
                         "pick_cool": 21, "look_at_obj": 18, "pick_two": 17}


def test_first_observation_reads_like_react():
    game = load_games(limit=1)[0]
    with AlfworldEnv(game.game_file) as env:
        observation, info = env.reset()
        assert observation.startswith("You are in the middle of a room.")
        assert "Welcome to TextWorld" not in observation
        assert info["task"] == f"Your task is to: {game.goal}"
        assert "look" in info["admissible_commands"]
        reply, won, done, _ = env.step("go to desk 1")
        assert not reply.startswith("You arrive at loc")
        reply, *_ = env.step("fly to the moon")
        assert reply == "Nothing happens." and not won and not done


def test_every_walkthrough_wins_its_game():
    games = load_games()
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(replay_walkthrough, games, chunksize=4))
    lost = [r for r in results if not r["won"]]
    assert not lost, f"{len(lost)} of 134 games not won, first: {lost[0]}"
    assert len(results) == 134


def test_walkthrough_steps_map_onto_admissible_commands():
    game = next(g for g in load_games() if any(s.startswith("move ") for s in g.walkthrough))
    with AlfworldEnv(game.game_file) as env:
        _, info = env.reset()
        admissible = info["admissible_commands"]
        for step in game.walkthrough:
            command = normalise(step, admissible)
            assert command in admissible, (step, admissible)
            if step.startswith("move "):
                assert command.startswith("put ") and " in/on " in command
            _, _, _, admissible = env.step(command)


def test_a_short_benchmark_run_covers_every_task_type():
    from cope.benchmarks import load_benchmark

    first_six = load_benchmark("alfworld", 6)
    assert len({item.meta["task_type"] for item in first_six}) == 6
    everything = load_benchmark("alfworld")
    assert len(everything) == 134 and len({item.id for item in everything}) == 134
    assert {item.meta["game_file"] for item in everything} == {
        str(g.game_file) for g in load_games()}
