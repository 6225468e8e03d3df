// Spec 001's portal records: health logs, documents, the care plan and
// appointments, as family members at each access level and the care team
// see them (seed-demo's Margaret Lee).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BASE_URL, PHONE, SCREENSHOTS, USERS, apiAs, assertAccessible, assertNoSidewaysScroll, launch, newPage, screenshots, signIn } from './helpers.mjs';

let browser;
let client; // Margaret Lee, as the API shows her
before(async () => {
  browser = await launch();
  const family = await apiAs(USERS.familyFull);
  const { clients } = await family.call('GET', '/api/clients');
  client = clients.find((c) => c.name === 'Margaret Lee');
  assert.ok(client, 'seed-demo links Margaret Lee');
});
after(async () => {
  await browser?.close();
});

/** A date on the client's clock, `days` from today. */
function localDate(days = 0) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: client.time_zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
const mondayOf = (date) => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
};

async function openTab(page, name) {
  await page.getByRole('navigation', { name: 'Margaret Lee: sections' }).getByRole('link', { name, exact: true }).click();
}

test('a view-only family member reads the week of health logs: charts, tables and a gap', async () => {
  const { page, problems, context } = await newPage(browser, PHONE);
  await signIn(page, USERS.family);
  await page.waitForURL(/\/family\/client_/);
  await openTab(page, 'Health');
  await page.getByRole('heading', { name: 'Health logs for Margaret Lee' }).waitFor();

  // Today (seeded): 138/84 mmHg, 70 bpm, in today's table and in the chart's text alternative.
  const today = page.locator(`table[data-day="${localDate()}"]`);
  await today.waitFor();
  const row = (table, name) => table.getByRole('row', { name: new RegExp(`^${name}`) });
  assert.match(await row(today, 'Blood pressure').innerText(), /138\/84 mmHg/);
  assert.match(await row(today, 'Heart rate').innerText(), /70 bpm/);
  assert.match(await row(today, 'Medications taken').innerText(), /Amlodipine 5 mg/);
  const bp = page.getByRole('figure', { name: /Blood pressure/ });
  await bp.locator('.recharts-line-curve').first().waitFor({ state: 'attached' });
  assert.match(await bp.getByRole('table').innerText(), /138\/84 mmHg/);
  assert.equal(await page.getByRole('form', { name: 'Record a health log' }).count(), 0, 'family can’t record');
  await assertAccessible(page, 'health logs (family)');
  await screenshots(page, 'portal-health');

  // Three days ago has no readings: a gap (possibly last week).
  const gap = localDate(-3);
  if (mondayOf(gap) !== mondayOf(localDate())) await page.getByRole('button', { name: '← Previous week' }).click();
  const gapTable = page.locator(`table[data-day="${gap}"]`);
  await gapTable.waitFor();
  assert.match(await row(gapTable, 'Blood pressure').innerText(), /No reading/);
  const gapLabel = await gapTable.locator('caption').innerText();
  const chartRow = bp.getByRole('table').getByRole('row', { name: new RegExp(`^${gapLabel.replace(/ \(today\)$/, '')}`) });
  assert.match(await chartRow.innerText(), /No reading/);

  assert.deepEqual(problems, []);
  await context.close();
});

test('documents: the seeded medication list is listed and downloads as a PDF; view-only can’t upload', async () => {
  const { page, problems, context } = await newPage(browser, PHONE);
  await signIn(page, USERS.family);
  await page.waitForURL(/\/family\/client_/);
  await openTab(page, 'Documents');
  await page.getByRole('heading', { name: 'Documents for Margaret Lee' }).waitFor();
  const doc = page.getByRole('article', { name: 'medication list.pdf' });
  await doc.waitFor();
  assert.equal(await page.getByRole('form', { name: 'Upload a document' }).count(), 0, 'view-only family can’t upload');

  // By category: prescriptions keep it, test results don't.
  await page.getByRole('combobox', { name: 'Category' }).selectOption('test_result');
  await page.getByText('No documents match').waitFor();
  await page.getByRole('combobox', { name: 'Category' }).selectOption('prescription');
  await doc.waitFor();
  await page.getByRole('searchbox', { name: 'Search documents' }).fill('medication');
  await doc.waitFor();

  const download = page.waitForEvent('download');
  await doc.getByRole('button', { name: 'Download' }).click();
  const file = await download;
  assert.match(file.suggestedFilename(), /medication list\.pdf/);
  const href = await doc.locator('[data-download-link]').getAttribute('href');
  const response = await fetch(new URL(href, BASE_URL));
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/pdf/);
  assert.equal(Buffer.from(await response.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
  await assertAccessible(page, 'documents (family)');
  await screenshots(page, 'portal-documents');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the care plan shows goals and the weekly schedule, and downloads care-plan.ics', async () => {
  const { page, problems, context } = await newPage(browser);
  await signIn(page, USERS.familyFull);
  await page.waitForURL(/\/family\/client_/);
  await openTab(page, 'Care plan');
  await page.getByRole('heading', { name: 'Care plan for Margaret Lee' }).waitFor();
  await page.getByRole('heading', { name: 'Staying steady at home' }).waitFor();
  await page.getByText('Walk to the letterbox and back with the frame, unaided').waitFor();
  const schedule = page.getByRole('table', { name: 'Weekly schedule' });
  const monday = schedule.getByRole('row', { name: /^Monday/ });
  assert.match(await monday.innerText(), /9:00 am[\s\S]*Physio exercises[\s\S]*Priya \(coordinator\)/);
  assert.equal(await schedule.getByRole('row').count(), 5, 'a header and four activities');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Add to calendar' }).click();
  const file = await download;
  assert.equal(file.suggestedFilename(), 'care-plan.ics');
  const text = await readFile(await file.path(), 'utf8');
  assert.equal(text.split(/\r?\n/)[0], 'BEGIN:VCALENDAR');
  await assertAccessible(page, 'care plan');
  await screenshots(page, 'portal-care-plan');
  assert.deepEqual(problems, []);
  await context.close();
});

test('appointments in week, month and day views; next Tuesday’s appointment is there; reminders', async () => {
  const { page, problems, context } = await newPage(browser, PHONE);
  await signIn(page, USERS.familyFull);
  await page.waitForURL(/\/family\/client_/);
  await openTab(page, 'Appointments');
  await page.getByRole('heading', { name: 'Appointments for Margaret Lee' }).waitFor();
  const day = (() => {
    const d = new Date(`${mondayOf(localDate())}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 8);
    return d.toISOString().slice(0, 10);
  })();
  const card = page.getByRole('article', { name: /GP review with Dr Patel/ });
  const views = page.getByRole('radiogroup', { name: 'Calendar view' });

  // Week view (the default); the month of today marks today.
  assert.equal(await views.getByRole('radio', { name: 'Week' }).getAttribute('aria-checked'), 'true');
  await page.getByRole('list', { name: /^Appointments, / }).or(page.getByText('No appointments this week')).first().waitFor();
  await views.getByRole('radio', { name: 'Month' }).click();
  await page.locator('button[aria-current="date"]').waitFor();
  await views.getByRole('radio', { name: 'Week' }).click();
  await page.getByRole('button', { name: 'Next week' }).click();
  await card.waitFor();
  assert.match(await card.innerText(), /10:30 am/);
  assert.match(await card.innerText(), /Scheduled/);
  await assertAccessible(page, 'appointments week');
  await screenshots(page, 'portal-appointments-week');

  // The segmented control works from the keyboard.
  await views.getByRole('radio', { name: 'Week' }).focus();
  await page.keyboard.press('ArrowLeft');
  assert.equal(await views.getByRole('radio', { name: 'Month' }).getAttribute('aria-checked'), 'true');
  // Month: the one containing the appointment (the view keeps next week's date).
  const [y, m] = day.split('-');
  const monthName = new Intl.DateTimeFormat('en-AU', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${y}-${m}-01T00:00:00Z`));
  await page.getByRole('heading', { name: monthName }).waitFor();
  await card.waitFor();
  const cell = page.getByRole('button', { name: /: 1 appointment$/ });
  await cell.first().waitFor();
  await assertAccessible(page, 'appointments month');
  await screenshots(page, 'portal-appointments-month');

  // Day: choosing the day in the grid opens it.
  const dayName = new Intl.DateTimeFormat('en-AU', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
  await page.getByRole('button', { name: new RegExp(`^${dayName}`) }).click();
  assert.equal(await views.getByRole('radio', { name: 'Day' }).getAttribute('aria-checked'), 'true');
  await page.getByRole('heading', { name: dayName }).waitFor();
  await card.waitFor();
  const download = page.waitForEvent('download');
  await card.getByRole('button', { name: 'Add to calendar' }).click();
  const ics = await readFile(await (await download).path(), 'utf8');
  assert.equal(ics.split(/\r?\n/)[0], 'BEGIN:VCALENDAR');
  await page.getByRole('button', { name: 'Next day' }).click();
  await page.getByText('No appointments on this day').waitFor();

  // Reminders: the family member's own choice.
  const reminders = page.getByRole('form', { name: 'Appointment reminders' });
  const three = reminders.getByRole('checkbox', { name: '3 days' });
  const wasChecked = await three.isChecked();
  await three.setChecked(!wasChecked);
  await reminders.getByRole('button', { name: 'Save reminders' }).click();
  await reminders.getByRole('status').filter({ hasText: 'Reminders saved.' }).waitFor();
  await assertAccessible(page, 'appointments day');
  await screenshots(page, 'portal-appointments-day');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the care team records a health log and uploads a PDF that then appears', async () => {
  const { page, problems, context } = await newPage(browser);
  await signIn(page, USERS.careTeam);
  await page.waitForURL(/\/care\/client_/);
  await openTab(page, 'Health');
  const form = page.getByRole('form', { name: 'Record a health log' });
  await form.waitFor();
  const mood = `calm (e2e ${Date.now()})`;
  // A refused reading is named next to its field.
  await form.getByRole('textbox', { name: 'Heart rate (bpm)' }).fill('400');
  await form.getByRole('button', { name: 'Save health log' }).click();
  await form.getByRole('alert').waitFor();
  await form.getByText(/outside the plausible range/).first().waitFor();
  await form.getByRole('textbox', { name: 'Systolic (mmHg)' }).fill('131');
  await form.getByRole('textbox', { name: 'Diastolic (mmHg)' }).fill('79');
  await form.getByRole('textbox', { name: 'Heart rate (bpm)' }).fill('72');
  await form.getByRole('textbox', { name: 'Temperature', exact: true }).fill('36.9');
  await form.getByRole('textbox', { name: 'Medications taken' }).fill('Amlodipine 5 mg, Paracetamol 1 g');
  await form.getByRole('textbox', { name: 'Mood' }).fill(mood);
  await form.getByRole('button', { name: 'Save health log' }).click();
  await form.getByRole('status').filter({ hasText: 'Health log saved' }).waitFor();
  const today = page.locator(`table[data-day="${localDate()}"]`);
  await today.getByText(mood).waitFor();
  assert.match(await today.getByRole('row', { name: /^Blood pressure/ }).innerText(), /131\/79 mmHg/);
  await assertAccessible(page, 'care team health logs');
  await screenshots(page, 'care-health');

  await openTab(page, 'Documents');
  const upload = page.getByRole('form', { name: 'Upload a document' });
  await upload.waitFor();
  const name = `discharge-${Date.now()}.pdf`;
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  await upload.getByLabel('File').setInputFiles({ name, mimeType: 'application/pdf', buffer: pdf });
  await upload.getByRole('combobox', { name: 'Document category' }).selectOption('medical_record');
  await upload.getByRole('combobox', { name: 'Who can see it' }).selectOption('everyone');
  await upload.getByRole('textbox', { name: 'Description' }).fill('Hospital discharge summary');
  await upload.getByRole('button', { name: 'Upload' }).click();
  await upload.getByRole('status').filter({ hasText: `Uploaded ${name}` }).waitFor();
  const added = page.getByRole('article', { name });
  await added.waitFor();
  assert.match(await added.innerText(), /Medical records/);
  assert.match(await added.innerText(), /scan|Scanned/i);
  await assertAccessible(page, 'care team documents');
  await screenshots(page, 'care-documents');

  // The appointments page has the team's booking form.
  await openTab(page, 'Appointments');
  await page.getByRole('form', { name: 'Book an appointment' }).waitFor();
  await assertAccessible(page, 'care team appointments');
  // The one refusal we asked for (heart rate 400) is the browser's only complaint.
  assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
  assert.equal(problems.length, 1);
  await context.close();
});

test('the care team flags an update urgent after confirming in a dialog, and it shows URGENT', async () => {
  const { page, problems, context } = await newPage(browser);
  await signIn(page, USERS.careTeam);
  await page.waitForURL(/\/care\/client_/);
  const flag = page.getByRole('button', { name: /^Flag urgent: / }).first();
  await flag.waitFor();
  const name = ((await flag.getAttribute('aria-label')) ?? '').replace(/^Flag urgent: /, '');
  await flag.click();
  const dialog = page.getByRole('dialog', { name: `Flag “${name}” urgent?` });
  await dialog.waitFor();
  await assertAccessible(page, 'flag urgent dialog');
  // Escape cancels: nothing is flagged.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await flag.click();
  await dialog.getByRole('button', { name: 'Flag urgent' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('article', { name }).filter({ has: page.getByText('URGENT', { exact: true }) }).first().waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

/** The client's sections in the order of the tab bar, and what shows each has loaded (family, care team). */
const SECTIONS = [
  {
    name: 'Updates',
    family: (page) => page.getByRole('list', { name: 'Care updates for Margaret Lee' }).getByRole('article').first(),
    care: (page) => page.getByRole('form', { name: 'Write a care update' }),
  },
  {
    name: 'Health',
    family: (page) => page.getByRole('figure', { name: /Blood pressure/ }).locator('.recharts-line-curve').first(),
    care: (page) => page.getByRole('form', { name: 'Record a health log' }),
  },
  {
    name: 'Appointments',
    family: (page) => page.getByRole('form', { name: 'Appointment reminders' }),
    care: (page) => page.getByRole('form', { name: 'Book an appointment' }),
  },
  { name: 'Care plan', family: (page) => page.getByRole('table', { name: 'Weekly schedule' }), care: (page) => page.getByRole('table', { name: 'Weekly schedule' }) },
  {
    name: 'Documents',
    family: (page) => page.getByRole('article', { name: 'medication list.pdf' }),
    care: (page) => page.getByRole('form', { name: 'Upload a document' }),
  },
  {
    name: 'Messages',
    family: (page) => page.getByRole('list', { name: 'Messages about Margaret Lee' }).or(page.getByText(/^No messages yet/)),
    care: (page) => page.getByRole('list', { name: 'Messages about Margaret Lee' }).or(page.getByText(/^No messages yet/)),
  },
];

for (const [who, email, home] of [
  ['family', USERS.familyFull, /\/family\/client_/],
  ['care', USERS.careTeam, /\/care\/client_/],
]) {
  test(`on a phone the ${who === 'family' ? 'family portal' : 'care workspace'}'s sections all fit, none scrolls sideways, and the tab bar works from the keyboard`, async () => {
    const { page, problems, context } = await newPage(browser, PHONE);
    await signIn(page, email);
    await page.waitForURL(home);
    const tabs = page.getByRole('navigation', { name: 'Margaret Lee: sections' });
    const links = tabs.getByRole('link');
    assert.deepEqual(await links.allInnerTexts(), SECTIONS.map((s) => s.name));
    // Every section is on screen at once: none hidden past the edge.
    for (const link of await links.all()) {
      const box = await link.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `${await link.innerText()} is within the screen`);
    }

    for (const [i, section] of SECTIONS.entries()) {
      const link = tabs.getByRole('link', { name: section.name, exact: true });
      if (i === 0) {
        await link.click();
      } else {
        // The previous section's tab has focus; Tab reaches this one, Enter opens it.
        await page.keyboard.press('Tab');
        assert.equal(await link.evaluate((e) => e === document.activeElement), true, `Tab moves to ${section.name}`);
        await page.keyboard.press('Enter');
      }
      await section[who](page).waitFor({ state: 'attached' });
      assert.equal(await link.getAttribute('aria-current'), 'page', `${section.name} is marked as the current section`);
      assert.equal(await tabs.locator('[aria-current="page"]').count(), 1, 'one current section');
      await assertNoSidewaysScroll(page, `${who}: ${section.name} at ${PHONE.width} px`);
      const slug = section.name.toLowerCase().replace(/ /g, '-');
      await page.screenshot({ path: path.join(SCREENSHOTS, `client-tabs-${who}-${slug}-phone.png`), fullPage: true });
      await link.focus();
    }
    await assertAccessible(page, `${who} sections on a phone`);
    assert.deepEqual(problems, []);
    await context.close();
  });
}
