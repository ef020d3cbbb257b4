// ustack report: draws the data `ustack report` embedded (the #ustack-data element; its
// shape is report_data() in tools/report/report.h) with dygraphs. Every string from the events
// reaches the page through textContent or title, never as HTML.
//
// When done it sets window.ustackReport = {conns: [{name, points: {series: count}, ...}]}, the
// number of points each chart holds as dygraphs reports them (finite values per series), and
// writes the same JSON into #ustack-report-status, which the tests read with
// `chromium --headless --dump-dom`.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('ustack-data').textContent);
  const root = document.getElementById('report');
  const report = { conns: [], counters: data.counters.length };
  const charts = [];

  const COLORS = {
    data: '#1f4fd1', retransmit: '#e0201b', probe: '#f08c00', sack: '#7a3fc2',
    ack: '#1b9e3e', window: '#8c8c8c',
    cwnd: '#1f4fd1', ssthresh: '#e0201b', inflight: '#1b9e3e', pipe: '#f08c00', rwnd: '#8c8c8c',
    rtt: '#1f4fd1', srtt: '#1b9e3e', rto: '#e0201b',
  };
  const STATE_COLORS = {
    ESTABLISHED: '#a8d8a0', SYN_SENT: '#bcd4f0', SYN_RECEIVED: '#bcd4f0', LISTEN: '#dddddd',
    FIN_WAIT_1: '#f5d59a', FIN_WAIT_2: '#f5d59a', CLOSING: '#f5d59a', LAST_ACK: '#f5d59a',
    CLOSE_WAIT: '#f0c0a0', TIME_WAIT: '#d8c0e8', CLOSED: '#eeeeee',
  };
  const RECOVERY_COLORS = {
    'fast-retransmit': 'rgba(240, 140, 0, 0.18)', rto: 'rgba(224, 32, 27, 0.15)',
    'tlp-recovery': 'rgba(122, 63, 194, 0.15)', 'ecn-echo': 'rgba(31, 79, 209, 0.12)',
  };

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Points per series, counted from the chart itself.
  function countPoints(g) {
    const labels = g.getLabels();
    const counts = {};
    for (let c = 1; c < labels.length; c++) {
      let n = 0;
      for (let r = 0; r < g.numRows(); r++) {
        const v = g.getValue(r, c);
        if (v !== null && Number.isFinite(v)) n++;
      }
      counts[labels[c]] = n;
    }
    return counts;
  }

  // One chart; rows are [x, y1, y2, ...] with null for "no value here" (other series' rows).
  // The charts of one connection start on its time span and zoom together.
  function chart(parent, cls, labels, rows, options, group) {
    const div = el('div', cls);
    parent.appendChild(div);
    const legend = el('div', 'note');
    parent.appendChild(legend);
    rows.sort((a, b) => a[0] - b[0]);  // stable: a bar's bottom, top and gap stay in order
    const colors = labels.slice(1).map((l) => COLORS[l] || '#333');
    const g = new Dygraph(div, rows, Object.assign({
      labels: labels, colors: colors, connectSeparatedPoints: true, xlabel: 'ms',
      legend: 'onmouseover', labelsDiv: legend, animatedZooms: false,
      dateWindow: group.window,
      zoomCallback: (from, to) => {
        if (group.zooming) return;
        group.zooming = true;
        for (const other of group.charts) {
          if (other !== g) other.updateOptions({ dateWindow: [from, to] });
        }
        group.zooming = false;
      },
    }, options));
    group.charts.push(g);
    charts.push(g);
    return g;
  }

  function key(parent, items) {
    const k = el('div', 'key');
    for (const [name, color, what] of items) {
      const s = el('span');
      const i = el('i');
      i.style.background = color;
      s.appendChild(i);
      s.appendChild(document.createTextNode(name + (what ? ' — ' + what : '')));
      k.appendChild(s);
    }
    parent.appendChild(k);
  }

  // tcptrace's view: each segment a vertical bar seq..end at its time, the ACK line and the
  // window's right edge as steps, SACK blocks as bars of their own colour.
  // Series drawn in label order: SACK blocks and the lines under the segments, retransmissions
  // and probes on top.
  function timeSequence(parent, c, group) {
    const labels = ['ms', 'sack', 'window', 'ack', 'data', 'probe', 'retransmit'];
    const column = { sack: 1, window: 2, ack: 3, 0: 4, 2: 5, 1: 6 };
    const rows = [];
    const width = labels.length;
    function bar(col, t, lo, hi) {
      for (const y of [lo, hi, NaN]) {
        const r = new Array(width).fill(null);
        r[0] = t;
        r[col] = y;
        rows.push(r);
      }
    }
    for (const [t, seq, end, kind] of c.segments) bar(column[kind], t, seq, end);
    for (const [t, l, r] of c.sacks) bar(column.sack, t, l, r);
    for (const [t, ack, edge] of c.acks) {
      const r = new Array(width).fill(null);
      r[0] = t;
      r[column.ack] = ack;
      r[column.window] = edge;
      rows.push(r);
    }
    if (!rows.length) {
      parent.appendChild(el('p', 'note', 'no segments carried data'));
      return {};
    }
    const g = chart(parent, 'chart', labels, rows, {
      ylabel: 'relative sequence number',
      series: {
        data: { strokeWidth: 2 }, retransmit: { strokeWidth: 3 }, sack: { strokeWidth: 1 },
        probe: { strokeWidth: 2, drawPoints: true, pointSize: 3 },
        ack: { stepPlot: true, strokeWidth: 1 }, window: { stepPlot: true, strokeWidth: 1 },
      },
      axes: { y: { axisLabelWidth: 80 } },
    }, group);
    key(parent, [['data', COLORS.data, 'new data'], ['retransmit', COLORS.retransmit],
      ['probe', COLORS.probe, 'TLP, zero-window or keepalive probe'],
      ['sack', COLORS.sack, 'SACK block'], ['ack', COLORS.ack], ['window', COLORS.window,
        'ack + receive window']]);
    return countPoints(g);
  }

  function shadeRecovery(periods) {
    return function (ctx, area, g) {
      for (const [from, to, reason] of periods) {
        const x0 = g.toDomXCoord(from);
        const x1 = Math.max(g.toDomXCoord(to), x0 + 2);
        ctx.fillStyle = RECOVERY_COLORS[reason] || 'rgba(0, 0, 0, 0.1)';
        ctx.fillRect(x0, area.y, x1 - x0, area.h);
      }
    };
  }

  function congestion(parent, c, group) {
    if (!c.cwnd.length) {
      parent.appendChild(el('p', 'note', 'no congestion window changes'));
      return {};
    }
    const rows = c.cwnd.map((r) => r.slice());
    // Carry the last values to the end so the steps reach the connection's last event.
    const last = rows[rows.length - 1].slice();
    last[0] = Math.max(c.end_ms, last[0]);
    rows.push(last);
    const g = chart(parent, 'chart small',
      ['ms', 'cwnd', 'ssthresh', 'inflight', 'pipe', 'rwnd'], rows, {
        ylabel: 'octets', stepPlot: true, underlayCallback: shadeRecovery(c.recovery),
        axes: { y: { axisLabelWidth: 80 } },
      }, group);
    const keys = [['cwnd', COLORS.cwnd], ['ssthresh', COLORS.ssthresh],
      ['inflight', COLORS.inflight, 'SND.MAX − SND.UNA'], ['pipe', COLORS.pipe, 'RFC 6675'],
      ['rwnd', COLORS.rwnd, 'the peer\'s window']];
    for (const reason of new Set(c.recovery.map((p) => p[2]))) {
      keys.push(['recovery (' + reason + ')', RECOVERY_COLORS[reason] || '#ccc']);
    }
    key(parent, keys);
    // The carried last row is not an event: its values are not points of the events.
    const counts = countPoints(g);
    g.getLabels().slice(1).forEach((label, i) => {
      if (last[i + 1] !== null && Number.isFinite(last[i + 1])) counts[label]--;
    });
    return counts;
  }

  function rtt(parent, c, group) {
    if (!c.rtt.length) {
      parent.appendChild(el('p', 'note', 'no RTT samples'));
      return {};
    }
    const g = chart(parent, 'chart small', ['ms', 'rtt', 'srtt', 'rto'],
      c.rtt.map((r) => r.slice()), {
        ylabel: 'ms', drawPoints: true, pointSize: 2,
        series: { rtt: { strokeWidth: 0, pointSize: 3 }, srtt: { stepPlot: true },
          rto: { stepPlot: true } },
        axes: { y: { axisLabelWidth: 80 } },
      }, group);
    key(parent, [['rtt', COLORS.rtt, 'sample'], ['srtt', COLORS.srtt],
      ['rto', COLORS.rto, 'RFC 6298']]);
    return countPoints(g);
  }

  // One lane per connection on the run's time axis, a box per state.
  function swimlanes(parent) {
    const span = Math.max(data.end_ms, 1e-3);
    for (const c of data.conns) {
      parent.appendChild(el('div', 'lanename', c.name));
      const lane = el('div', 'lane');
      c.states.forEach(([t, state], i) => {
        const to = i + 1 < c.states.length ? c.states[i + 1][0] : data.end_ms;
        const box = el('div', '', state);
        box.style.left = (100 * t / span) + '%';
        box.style.width = Math.max(100 * (to - t) / span, 0.2) + '%';
        box.style.background = STATE_COLORS[state] || '#ccc';
        box.title = state + ': ' + t.toFixed(3) + ' – ' + to.toFixed(3) + ' ms';
        lane.appendChild(box);
      });
      parent.appendChild(lane);
    }
    parent.appendChild(el('p', 'note', '0 – ' + data.end_ms.toFixed(3) + ' ms'));
  }

  function counters(parent, rows) {
    if (!rows.length) return;
    const table = el('table', 'counters');
    for (const [name, value] of rows) {
      const tr = el('tr');
      tr.appendChild(el('td', '', name));
      tr.appendChild(el('td', 'v', String(value)));
      table.appendChild(tr);
    }
    parent.appendChild(table);
  }

  if (data.title) {
    document.title = 'ustack report: ' + data.title;
    document.getElementById('title').textContent = document.title;
  }
  root.appendChild(el('p', 'note',
    'Drag across a chart to zoom, double-click to zoom out; shift-drag pans. ' +
    'Times in ms from the first event; sequence numbers relative to the sender\'s ISN.'));
  if (data.conns.length) {
    root.appendChild(el('h3', '', 'States'));
    swimlanes(root);
  }
  for (const c of data.conns) {
    const sec = el('section');
    root.appendChild(sec);
    sec.appendChild(el('h2', '', c.name));
    const points = {};
    const group = { charts: [], zooming: false,
      window: [c.start_ms, Math.max(c.end_ms, c.start_ms + 1e-3)] };
    sec.appendChild(el('h3', '', 'Time-sequence (' +
      (c.sender === 'local' ? 'data sent by the stack' : 'data received by the stack') + ')'));
    Object.assign(points, timeSequence(sec, c, group));
    sec.appendChild(el('h3', '', 'Congestion window'));
    Object.assign(points, congestion(sec, c, group));
    sec.appendChild(el('h3', '', 'RTT'));
    Object.assign(points, rtt(sec, c, group));
    sec.appendChild(el('h3', '', 'Counters'));
    counters(sec, c.counters);
    report.conns.push({ name: c.name, points: points, recovery: c.recovery.length,
      states: c.states.length, counters: c.counters.length });
  }
  if (data.counters.length) {
    root.appendChild(el('h2', '', 'Whole run'));
    counters(root, data.counters);
  }
  if (!data.conns.length) root.appendChild(el('p', 'note', 'no connections in these events'));
  window.ustackReport = report;
  window.ustackCharts = charts;  // every Dygraph, for a console or a test
  document.getElementById('ustack-report-status').textContent = JSON.stringify(report);
})();
