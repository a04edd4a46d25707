/*
 * The measures of tests/browser.sh: tests/browser/cdp.py evaluates this
 * expression in a report's HTML page (which has no script of its own)
 * after its load event; its value, a promise of text, has one line per
 * finding:
 *   viewport W H          the layout viewport's size
 *   page W H              the document's scroll size (H: the screenshot's)
 *   count NAME N          h1, section.sec and li.crossed (alerts) elements
 *   section NAME STATE    each section and its data-state
 *   marks NAME KIND N M   a figure's .mark elements and its data-marks
 *   font NAME PX          the smallest rendered font size of its SVG text
 *   ok CHECK NAME         a check that held (NAME: a section, or "page")
 *   bad CHECK NAME WHY    a check that failed, and where
 * Lengths are CSS pixels as rendered (getBoundingClientRect).
 */
(async function () {
	await document.fonts.ready;
	var out = [], E = 0.5;
	function say() { out.push(Array.prototype.join.call(arguments, ' ')); }
	function verdict(check, name, why) {
		if (why.length === 0)
			say('ok', check, name);
		else
			say('bad', check, name, why.slice(0, 3).join('; ') +
			    (why.length > 3 ? '; and ' + (why.length - 3) +
			    ' more' : ''));
	}
	function box(e) { return e.getBoundingClientRect(); }
	function r1(x) { return Math.round(x * 10) / 10; }
	/* a text as shown: without the <title> of a cut one */
	function shown(e) {
		var t = '';
		e.childNodes.forEach(function (n) {
			if (n.nodeType === Node.TEXT_NODE)
				t += n.data;
		});
		return t;
	}
	function txt(e) { return JSON.stringify(shown(e)); }
	function inside(a, b) {
		return a.left >= b.left - E && a.right <= b.right + E &&
		    a.top >= b.top - E && a.bottom <= b.bottom + E;
	}
	function overlap(a, b) {
		return Math.min(a.right, b.right) - Math.max(a.left, b.left) > E &&
		    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > E;
	}
	var doc = document.documentElement;

	say('viewport', innerWidth, innerHeight);
	say('page', doc.scrollWidth, doc.scrollHeight);
	say('count h1', document.querySelectorAll('h1').length);
	say('count sections', document.querySelectorAll('section.sec').length);
	say('count alerts', document.querySelectorAll('li.crossed').length);

	document.querySelectorAll('section.sec').forEach(function (sec) {
		var name = sec.dataset.section;

		say('section', name, sec.dataset.state);
		sec.querySelectorAll('figure.chart').forEach(function (fig) {
			var kind = fig.dataset.kind, svg = fig.querySelector('svg'),
			    sb = box(svg), marks = fig.querySelectorAll('.mark'),
			    texts = svg.querySelectorAll('text'), why, i, j,
			    vb = svg.viewBox.baseVal, scale = sb.width / vb.width;

			say('marks', name, kind, marks.length, fig.dataset.marks);

			/* every text and mark inside the SVG's box */
			why = [];
			texts.forEach(function (t) {
				var b = box(t);
				if (!inside(b, sb))
					why.push(txt(t) + ' at ' + r1(b.left) + '..' +
					    r1(b.right) + ' x ' + r1(b.top) + '..' +
					    r1(b.bottom) + ' outside ' + r1(sb.left) +
					    '..' + r1(sb.right) + ' x ' + r1(sb.top) +
					    '..' + r1(sb.bottom));
			});
			marks.forEach(function (m) {
				if (!inside(box(m), sb))
					why.push('mark ' + m.dataset.value + ' outside');
			});
			verdict('inside', name, why);

			/* no two texts on top of each other */
			why = [];
			for (i = 0; i < texts.length; i++)
				for (j = i + 1; j < texts.length; j++)
					if (overlap(box(texts[i]), box(texts[j])))
						why.push(txt(texts[i]) + ' on ' +
						    txt(texts[j]));
			verdict('overlap', name, why);

			/* no text cut short (fit() ends a cut text with an
			 * ellipsis and keeps the whole in a <title>) */
			why = [];
			texts.forEach(function (t) {
				if (t.querySelector('title') !== null)
					why.push(txt(t) + ' for ' +
					    txt(t.querySelector('title')));
			});
			verdict('uncut', name, why);

			/* readable: the font as rendered, and the text's box */
			why = [];
			var least = Infinity;
			texts.forEach(function (t) {
				var px = parseFloat(getComputedStyle(t).fontSize) *
				    scale, h = box(t).height;
				least = Math.min(least, px);
				if (px < 9 || h < 9)
					why.push(txt(t) + ' font ' + r1(px) +
					    ' px, box ' + r1(h) + ' px high');
			});
			say('font', name, r1(least));
			verdict('readable', name, why);

			/* lengths proportional to values: bars, funnels and
			 * waterfall steps by width, columns by height
			 * (the same pixels per unit for every mark); a
			 * line's points on one linear scale */
			var side = kind === 'bars' || kind === 'funnel' ||
			    kind === 'waterfall' ? 'width' : kind === 'columns' ?
			    'height' : null, pts = [];
			marks.forEach(function (m) {
				var v = parseFloat(m.dataset.value), b = box(m);
				if (isFinite(v))
					pts.push({ v: v, b: b, len: side ? b[side] :
					    (b.top + b.bottom) / 2 });
			});
			if (side !== null) {
				var k = 0;
				pts.forEach(function (p) {
					if (Math.abs(p.v) > 0 &&
					    Math.abs(p.len / p.v) > k && !(kind !==
					    'waterfall' && p.v < 0))
						k = p.len / Math.abs(p.v);
				});
				why = [];
				pts.forEach(function (p) {
					var want = kind !== 'waterfall' && p.v < 0 ?
					    0 : Math.abs(p.v) * k;
					if (Math.abs(p.len - want) > E)
						why.push(p.v + ': ' + side + ' ' +
						    r1(p.len) + ' px, want ' + r1(want));
				});
				verdict('proportional', name, why);
			} else if (kind === 'line' && pts.length > 1) {
				var lo = pts[0], hi = pts[0];
				pts.forEach(function (p) {
					if (p.v < lo.v) lo = p;
					if (p.v > hi.v) hi = p;
				});
				why = [];
				if (hi.v > lo.v)
					pts.forEach(function (p) {
						var want = lo.len + (p.v - lo.v) /
						    (hi.v - lo.v) * (hi.len - lo.len);
						if (Math.abs(p.len - want) > E)
							why.push(p.v + ': y ' + r1(p.len) +
							    ' px, want ' + r1(want));
					});
				verdict('proportional', name, why);
			}
		});
	});

	/* text boxes: nothing wider than its box, except in a table's
	 * box, which scrolls instead of widening the page */
	var why = [];
	document.querySelectorAll('h1, h2, p, li, th, td, figcaption, pre')
	    .forEach(function (e) {
		if (e.closest('div.table') !== null)
			return;
		if (e.scrollWidth > e.clientWidth + 1)
			why.push(e.tagName.toLowerCase() + ' ' +
			    JSON.stringify(e.textContent.slice(0, 40)) + ' ' +
			    e.scrollWidth + ' > ' +
			    e.clientWidth);
	});
	document.querySelectorAll('div.table').forEach(function (d) {
		var b = box(d), s = getComputedStyle(d).overflowX;
		if (s !== 'auto' && s !== 'scroll')
			why.push('div.table overflow-x ' + s);
		if (b.right > doc.clientWidth + E || b.left < -E)
			why.push('div.table at ' + r1(b.left) + '..' + r1(b.right));
	});
	verdict('text-fits', 'page', why);
	why = [];
	if (doc.scrollWidth > innerWidth)
		why.push('scroll width ' + doc.scrollWidth + ' > ' + innerWidth);
	verdict('no-hscroll', 'page', why);

	return out.join('\n') + '\n';
})()
