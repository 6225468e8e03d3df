// Spec 000's staff dashboard beyond Today: contacts (search, the contact
// page, sending an SMS), the pipeline board (drag along an allowed move,
// refused otherwise), the weekly report with its charts and CSV, and the
// inbox with unread counts. Every screen passes axe and is photographed
// at desktop and phone widths.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { PHONE, USERS, apiAs, assertAccessible, assertNoSidewaysScroll, eventually, launch, newPage, screenshots, signIn } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('staff find a contact by part of its name, send an SMS, and the sandbox has it', async () => {
  const staff = await apiAs(USERS.staff);
  const { contacts } = await staff.call('GET', '/api/contacts?pipeline=lead_to_booking&limit=100');
  const contact = contacts.find((c) => c.phone && c.name.split(' ').pop().length >= 3);
  assert.ok(contact, 'the demo has a lead with a phone and a surname');
  const part = contact.name.split(' ').pop().slice(0, 4);

  const { page, context, problems } = await newPage(browser);
  await signIn(page, USERS.staff);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
  await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
  await page.getByRole('list', { name: 'Contacts' }).waitFor();
  await assertAccessible(page, 'Contacts');
  await screenshots(page, 'contacts');

  await page.getByLabel('Search').fill(part.toLowerCase());
  await page.getByRole('heading', { name: `Results for “${part.toLowerCase()}”` }).waitFor();
  const row = page.getByRole('list', { name: 'Contacts' }).getByRole('link', { name: new RegExp(contact.name) });
  await row.waitFor();
  await row.click();
  await page.waitForURL(`**/contacts/${contact.id}`);
  await page.getByRole('heading', { name: contact.name, level: 1 }).waitFor();
  await page.getByRole('heading', { name: /^Warmness: \d+/ }).waitFor();

  const marker = `Browser test ${Date.now()}: see you on Tuesday.`;
  const form = page.getByRole('form', { name: `Send an SMS to ${contact.name}` });
  await form.getByLabel('Message').fill(marker);
  assert.equal(await form.getByTestId('sms-counter').textContent(), `${marker.length} characters · 1 SMS (${160 - marker.length} left) · GSM-7`);
  await form.getByLabel('Message').fill(`${marker} 👋`);
  assert.match((await form.getByTestId('sms-counter').textContent()) ?? '', /· 1 SMS \(\d+ left\) · Unicode \(UCS-2\)$/);
  await form.getByLabel('Message').fill(marker);
  await assertAccessible(page, 'Contact page');
  await form.getByRole('button', { name: 'Send SMS' }).click();

  // The message appears in the conversation, and the box is cleared for the next.
  await page.getByRole('list', { name: `SMS with ${contact.name}` }).getByText(marker).waitFor();
  // (The conversation may show it, through the live push, a moment before the send settles.)
  await eventually('the send box to clear', async () => (await form.getByLabel('Message').inputValue()) === '');

  // What would have been sent, recorded by the sandbox provider.
  const sent = await eventually('the SMS to go out through the sandbox', async () => {
    const thread = await staff.call('GET', `/api/sms/conversations/${contact.id}`);
    return thread.messages.find((m) => m.message_text === marker && m.provider === 'sandbox');
  });
  assert.equal(sent.direction, 'outbound');
  assert.equal(sent.contact_id, contact.id);
  assert.ok(['sent', 'delivered'].includes(sent.status), `status ${sent.status}`);
  await page.getByRole('list', { name: `SMS with ${contact.name}` }).locator('article', { hasText: marker }).getByText(/^(Sent|Delivered)/).waitFor();
  await screenshots(page, 'contact');

  // The timeline pages: "Load more" brings older touchpoints when there are any.
  const timeline = page.getByRole('list', { name: 'Touchpoints' });
  await timeline.waitFor();
  assert.ok((await timeline.getByRole('listitem').count()) > 0, 'the contact has touchpoints');
  await page.getByRole('heading', { name: /Automation/ }).waitFor();
  assert.deepEqual(problems, [], 'no errors in the page');
  await context.close();
});

test('a card moves along an allowed transition and is refused an illegal one', async () => {
  const staff = await apiAs(USERS.staff);
  const { pipelines } = await staff.call('GET', '/api/pipelines');
  const pipeline = pipelines.find((p) => p.id === 'pre_appointment') ?? pipelines[0];
  // What each column should show at first: its stage's warmest 25, and whether there are more.
  const firstPages = new Map();
  for (const stage of pipeline.stages) {
    firstPages.set(stage.id, await staff.call('GET', `/api/contacts?pipeline=${pipeline.id}&stage=${stage.id}&sort=warmest&limit=25`));
  }
  const contacts = [...firstPages.values()].flatMap((p) => p.contacts);
  const stageOf = (id) => pipeline.stages.find((s) => s.id === id);
  // A contact whose stage has a next stage which itself has a stage it can't reach.
  let pick;
  for (const c of contacts) {
    const from = stageOf(c.current_stage);
    for (const to of from?.next ?? []) {
      const illegal = pipeline.stages.find((s) => s.id !== to && !stageOf(to).next.includes(s.id));
      if (illegal) {
        pick = { contact: c, from, to: stageOf(to), illegal };
        break;
      }
    }
    if (pick) break;
  }
  assert.ok(pick, `${pipeline.name} has a contact with an allowed and an illegal move`);
  const { contact, from, to, illegal } = pick;

  const { page, context, problems } = await newPage(browser);
  await signIn(page, USERS.staff);
  await page.goto(`/pipelines?pipeline=${pipeline.id}`);
  await page.getByRole('region', { name: `${pipeline.name} board` }).waitFor();
  const card = page.locator(`article[data-contact="${contact.id}"]`);
  const column = (stage) => page.locator(`section[data-stage="${stage}"]`);
  await column(from.id).locator(`article[data-contact="${contact.id}"]`).waitFor();

  // Each column loads its own stage, warmest first, 25 at a time; its count
  // says "25+" while there are more, and "Show more" brings them.
  for (const stage of pipeline.stages) {
    const { contacts: first, next_cursor: more } = firstPages.get(stage.id);
    const shown = more ? `${first.length}+` : String(first.length);
    const spoken = more ? `more than ${first.length} contacts` : `${first.length} contact${first.length === 1 ? '' : 's'}`;
    await page.getByRole('heading', { level: 2, name: `${stage.name} ${spoken}`, exact: true }).waitFor();
    assert.equal(await column(stage.id).getByTestId('stage-count').locator('[aria-hidden="true"]').textContent(), shown);
    const cards = column(stage.id).locator('article[data-contact]');
    assert.deepEqual(
      await cards.evaluateAll((all) => all.map((a) => a.dataset.contact)),
      first.map((c) => c.id),
      `${stage.name} shows its warmest 25 in the API's order`,
    );
    const showMore = column(stage.id).getByRole('button', { name: `Show more in ${stage.name}`, exact: true });
    assert.equal(await showMore.count(), more ? 1 : 0, `${stage.name} offers "Show more" exactly when it has more`);
    if (more) {
      await showMore.click();
      await eventually(`more of ${stage.name} to load`, async () => (await cards.count()) > first.length);
    }
  }
  await assertAccessible(page, 'Pipelines');

  // The keyboard/phone alternative lists exactly the allowed stages, in board order.
  const options = await card.getByLabel('Move to').locator('option').allTextContents();
  assert.deepEqual(options.slice(1), pipeline.stages.filter((s) => from.next.includes(s.id)).map((s) => s.name));

  // Allowed: the card moves, and the API agrees.
  await column(to.id).scrollIntoViewIfNeeded();
  await card.dragTo(column(to.id));
  await column(to.id).locator(`article[data-contact="${contact.id}"]`).waitFor();
  await page.getByTestId('board-notice').filter({ hasText: `Moved ${contact.name} from ${from.name} to ${to.name}.` }).waitFor();
  await eventually(`${contact.name} to be in ${to.name}`, async () => {
    const found = await staff.call('GET', `/api/contacts/${contact.id}`);
    return found.contact.current_stage === to.id;
  });

  // Illegal: refused in words, the card stays, the API is unchanged.
  await column(illegal.id).scrollIntoViewIfNeeded();
  await card.dragTo(column(illegal.id));
  const alert = page.getByRole('alert').filter({ hasText: `Can't move from ${to.name} to ${illegal.name}:` });
  await alert.waitFor();
  assert.equal(await column(to.id).locator(`article[data-contact="${contact.id}"]`).count(), 1, 'the card stays in its column');
  assert.equal(await column(illegal.id).locator(`article[data-contact="${contact.id}"]`).count(), 0);
  const after = await staff.call('GET', `/api/contacts/${contact.id}`);
  assert.equal(after.contact.current_stage, to.id, 'the API still has the allowed stage');
  await assertAccessible(page, 'Pipelines, after a refused move');
  await screenshots(page, 'pipelines');
  // On a phone the columns stack: nothing scrolls sideways.
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, `Pipelines at ${PHONE.width} px`);
  await assertAccessible(page, 'Pipelines at phone width');
  assert.deepEqual(problems, [], 'no errors in the page');
  await context.close();
});

test('the weekly report shows its charts and downloads as CSV', async () => {
  const { page, context, problems } = await newPage(browser);
  await signIn(page, USERS.staff);
  await page.goto('/reports');
  await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Weekly' }).getAttribute('aria-pressed'), 'true');
  for (const chart of ['trend', 'funnel', 'channels']) {
    await page.getByTestId(`chart-${chart}`).locator('svg.recharts-surface').first().waitFor();
  }
  // Every chart has its summary for people who can't see it.
  assert.match((await page.getByTestId('chart-trend').getByRole('img', { name: /^Attended appointments per/ }).getAttribute('aria-label')) ?? '', /Attended appointments per week over the last 8 weeks/);
  const week = await page.getByLabel('Week', { exact: true }).inputValue();
  assert.match(week, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(new Date(`${week}T00:00:00Z`).getUTCDay(), 1, 'a week starts on a Monday');
  await assertAccessible(page, 'Weekly report');
  await screenshots(page, 'reports-weekly');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  assert.equal(download.suggestedFilename(), `attend-weekly-${week}.csv`);
  const csv = await readFile(await download.path(), 'utf8');
  assert.equal(csv.split(/\r?\n/)[0], 'section,figure,value,share');
  assert.match(csv, new RegExp(`^period,start,${week},`, 'm'));

  await page.getByRole('button', { name: 'Monthly' }).click();
  await page.getByLabel('Month', { exact: true }).waitFor();
  await page.getByTestId('chart-trend').locator('svg.recharts-surface').first().waitFor();
  await assertAccessible(page, 'Monthly report');
  assert.deepEqual(problems, [], 'no errors in the page');
  await context.close();
});

test('the inbox lists conversations with their unread counts, and opening one reads it', async () => {
  const staff = await apiAs(USERS.staff);
  const { conversations } = await staff.call('GET', '/api/sms/conversations?limit=100');
  assert.ok(conversations.length > 0, 'the demo has SMS conversations');
  const unread = conversations.reduce((n, c) => n + c.unread, 0);

  const { page, context, problems } = await newPage(browser);
  await signIn(page, USERS.staff);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click();
  const list = page.getByRole('list', { name: 'Conversations' });
  await list.waitFor();
  assert.equal(await list.getByRole('listitem').count(), conversations.length);
  assert.equal((await page.getByTestId('unread-total').textContent())?.trim(), `${unread} unread`);
  const badges = (await list.getByTestId('unread-count').allTextContents()).map(Number);
  assert.deepEqual(badges.sort(), conversations.filter((c) => c.unread > 0).map((c) => c.unread).sort());
  await assertAccessible(page, 'Inbox');
  await screenshots(page, 'inbox');

  const waiting = conversations.find((c) => c.unread > 0);
  if (waiting) {
    // The demo's inbound "Yes I confirm" (a fresh database has it unread).
    await list.getByRole('link').filter({ has: page.getByTestId('unread-count') }).first().click();
    await page.waitForURL(`**/inbox/${waiting.contact_id}`);
    await page.getByRole('link', { name: 'Open contact page' }).waitFor();
    await eventually('the conversation to be read', async () => {
      const again = await staff.call('GET', '/api/sms/conversations?limit=100');
      return again.conversations.find((c) => c.contact_id === waiting.contact_id)?.unread === 0;
    });
    await page.getByTestId('unread-total').filter({ hasText: `${unread - waiting.unread} unread` }).waitFor();
    await assertAccessible(page, 'Inbox, a conversation open');
    await screenshots(page, 'inbox-conversation');
  }
  assert.deepEqual(problems, [], 'no errors in the page');
  await context.close();
});

test('a read-only user sees contacts, the board and the inbox but cannot change them', async () => {
  const readonly = await apiAs(USERS.readonly);
  const { contacts } = await readonly.call('GET', '/api/contacts?limit=1');
  const { page, context } = await newPage(browser);
  await signIn(page, USERS.readonly);
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const link of ['Contacts', 'Pipelines', 'Inbox', 'Reports']) await nav.getByRole('link', { name: link }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Settings' }).count(), 0);

  await page.goto(`/contacts/${contacts[0].id}`);
  await page.getByText('Your role can read messages but not send them.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Send SMS' }).count(), 0);

  await page.goto('/pipelines');
  await page.getByText('Your role can view the board but not move contacts.').waitFor();
  assert.equal(await page.getByLabel('Move to').count(), 0);
  assert.equal(await page.locator('article[draggable="true"]').count(), 0);
  await assertAccessible(page, 'Pipelines (read-only)');
  await context.close();
});

test('an admin sees settings: templates with a live counter, hours, rules and users', async () => {
  const { page, context, problems } = await newPage(browser);
  await signIn(page, USERS.admin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  const templates = page.getByRole('list', { name: 'Templates' });
  await templates.waitFor();
  await page.getByRole('list', { name: 'Rules' }).waitFor();
  await page.getByRole('list', { name: 'Users' }).waitFor();
  await page.getByLabel('Quiet from').waitFor();
  await assertAccessible(page, 'Settings');
  await screenshots(page, 'settings');

  // Editing a template counts as you type (then cancel: the demo's templates stay).
  await templates.getByRole('button', { name: /^Edit / }).first().click();
  const text = page.getByRole('form', { name: /^Edit / }).getByRole('textbox');
  await text.fill('Hello {name}');
  await page.getByText('12 characters · 1 SMS (146 left) · GSM-7').waitFor(); // { and } count twice
  await text.fill('Hello {name} 👋');
  await page.getByText(/· 1 SMS \(\d+ left\) · Unicode \(UCS-2\)$/).waitFor();
  await page.getByRole('form', { name: /^Edit / }).getByRole('button', { name: 'Cancel' }).click();
  assert.deepEqual(problems, [], 'no errors in the page');
  await context.close();
});
