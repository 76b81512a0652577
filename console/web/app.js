// Lantern's dashboard: a client of the control API (docs/console.md). It asks for the cluster
// token once (or reads it from the address: #token=...), polls the API every second, and draws
// with Chart.js, which Lantern serves itself (no network).
"use strict";
(function () {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  let token = fromHash || sessionStorage.getItem("lantern-token") || prompt("Lantern cluster token");
  if (token) sessionStorage.setItem("lantern-token", token);
  let refused = false;

  async function api(path, options) {
    const res = await fetch(path, Object.assign({headers: {"Authorization": "Bearer " + token,
                                                            "Content-Type": "application/json"}}, options || {}));
    if (res.status === 401) {
      if (!refused) {  // ask once; a cancelled prompt stops asking until the page is reloaded
        refused = true;
        const again = prompt("The token was refused. Lantern cluster token");
        if (again) {
          token = again;
          refused = false;
          sessionStorage.setItem("lantern-token", token);
        } else {
          sessionStorage.removeItem("lantern-token");
        }
      }
      throw new Error("token refused: reload the page to enter it again");
    }
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }
  const el = (id) => document.getElementById(id);
  const fmt = (x, d) => (x === undefined || x === null) ? "-" : Number(x).toLocaleString(undefined, {maximumFractionDigits: d});
  const text = (s) => { const t = document.createElement("span"); t.textContent = s; return t.innerHTML; };

  function chart(id, datasets, percent) {
    return new Chart(el(id), {
      type: "line",
      data: {labels: [], datasets: datasets.map((d) => ({label: d.label, data: [], borderColor: d.color,
                                                          backgroundColor: d.color, pointRadius: 0, borderWidth: 2}))},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                plugins: {legend: {display: datasets.length > 1}},
                scales: {x: {type: "linear", title: {display: true, text: "env steps"}},
                         y: percent ? {min: 0, max: 100} : {}}},
    });
  }
  const charts = {
    return: chart("c-return", [{label: "mean return", color: "#2f6fde"}]),
    success: chart("c-success", [{label: "success %", color: "#2e8b57"}], true),
    sps: chart("c-sps", [{label: "steps/s", color: "#8a5cd1"}]),
    labels: chart("c-labels", [{label: "received", color: "#2e8b57"}, {label: "asked", color: "#b07b00"}]),
    acc: chart("c-acc", [{label: "accuracy %", color: "#c8402f"}], true),
    drift: chart("c-drift", [{label: "reward drift", color: "#b0306f"}]),
  };
  window.lantern = {charts: charts, status: null, actors: null};

  function setSeries(c, series) {
    c.data.datasets.forEach((d, i) => { d.data = series[i]; });
    c.update("none");
  }

  async function refresh() {
    try {
      const [s, actors, history, captions] = await Promise.all([api("/api/status"), api("/api/actors"),
                                                                api("/api/history"), api("/api/captions?n=15")]);
      window.lantern.status = s;
      window.lantern.actors = actors;
      const t = s.training, r = s.rewards, a = s.annotator;
      el("run").textContent = `${s.run.dir} · ${s.run.env} · reward ${s.run.reward_model} (${s.run.annotator_backend})`;
      const paused = s.totals.paused_runners > 0 && s.totals.paused_runners === s.totals.runners;
      el("state").textContent = paused ? "paused" : "running";
      el("state").className = "state " + (paused ? "paused" : "running");
      el("k-steps").textContent = fmt(t.env_steps, 0);
      el("k-sps").textContent = fmt(t.steps_per_second, 0);
      el("k-return").textContent = fmt(t.mean_return, 3);
      el("k-success").textContent = fmt(100 * t.success_rate, 1) + "%";
      el("k-policy").textContent = `v${t.policy_version} / ${fmt(t.policy_lag, 1)}`;
      el("k-labels").textContent = `${fmt(r.labels_received, 0)} / ${fmt(r.labels_requested, 0)}`;
      // a model that fits nothing (a lookup table, a fixed similarity) has no loss and no accuracy to show
      el("k-acc").textContent = r.trains ? fmt(100 * r.accuracy, 1) + "%" : "n/a (not fitted)";
      el("k-annotator").textContent = a.queue_depth === undefined ? "-" :
          `${fmt(a.queue_depth, 0)} / ${fmt(1000 * a.latency_p99_seconds, 1)} ms`;
      if (document.activeElement !== el("i-coef")) el("i-coef").value = t.intrinsic_coef;
      const xs = history.map((h) => h.env_steps);
      const pts = (f) => history.map((h, i) => ({x: xs[i], y: f(h)}));
      setSeries(charts.return, [pts((h) => h.mean_return)]);
      setSeries(charts.success, [pts((h) => 100 * h.success_rate)]);
      setSeries(charts.sps, [pts((h) => h.steps_per_second)]);
      setSeries(charts.labels, [pts((h) => h.labels_received), pts((h) => h.labels_requested)]);
      setSeries(charts.acc, [pts((h) => 100 * h.reward_accuracy)]);
      // Drift is null until the reward learner has measured twice: those points are left out.
      setSeries(charts.drift, [pts((h) => h.reward_drift).filter((p) => p.y !== null && p.y !== undefined)]);
      el("k-drift").textContent = r.drift === null || r.drift === undefined ? "-" : fmt(r.drift, 4);
      el("actors").tBodies[0].innerHTML = actors.map((x) => `<tr class="actor"><td>${text(x.name)}</td><td>${text(x.kind)}</td>
        <td>${text(x.node)}</td><td class="${x.state.split(" ")[0]}">${text(x.state)}</td><td>${fmt(x.mailbox, 0)}</td>
        <td>${fmt(x.steps_per_second, 0)}</td><td>${fmt(x.rollouts_in_flight, 0)}</td><td>${fmt(x.restarts, 0)}</td></tr>`).join("");
      el("nodes").tBodies[0].innerHTML = s.nodes.map((n) => `<tr><td>${text(n.name)}</td><td>${text(n.roles)}</td>
        <td>${fmt(n.runners, 0)}</td><td>${fmt(n.steps_per_second, 0)}</td></tr>`).join("");
      el("captions").tBodies[0].innerHTML = captions.map((c) => `<tr><td class="${c.label === "positive" ||
        c.label === "first" ? "pos" : "neg"}">${text(c.label)}</td><td class="caption">${text(c.caption)}${c.caption2 ?
        " <i>vs</i> " + text(c.caption2) : ""}</td><td>${text(c.backend)} ${text(c.model)} · ${text(c.prompt_version)}</td></tr>`).join("");
    } catch (e) {
      el("state").textContent = e.message;
    }
  }

  async function command(path, body, done) {
    try {
      const r = await api(path, {method: "POST", body: body ? JSON.stringify(body) : "{}"});
      el("message").textContent = done(r);
      refresh();
    } catch (e) {
      el("message").textContent = e.message;
    }
  }
  el("b-pause").onclick = () => command("/api/pause", null, (r) => `paused ${r.runners_told} runner(s)`);
  el("b-resume").onclick = () => command("/api/resume", null, (r) => `resumed ${r.runners_told} runner(s)`);
  el("b-checkpoint").onclick = () => command("/api/checkpoint", null, () => "checkpoint written");
  el("b-stop").onclick = () => { if (confirm("Stop the run (a checkpoint and the summary follow)?"))
    command("/api/stop", null, () => "stopping"); };
  el("b-set").onclick = () => command("/api/set", {key: "shaping.intrinsic_coef", value: el("i-coef").value},
                                      (r) => `${r.key} = ${r.value}`);
  refresh();
  setInterval(refresh, 1000);
})();
