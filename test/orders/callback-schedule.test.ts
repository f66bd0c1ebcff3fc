import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackSink } from '../helpers/callback-sink.js';
import { DIALECTS } from '../helpers/databases.js';
import { TestKios } from '../helpers/kios.js';

describe.each(DIALECTS)('callback schedule (%s)', (dialect) => {
  let t: TestKios;
  let sink: CallbackSink;
  beforeAll(async () => {
    // The first value is the wait before the first attempt: here an hour.
    t = await TestKios.start(dialect, { CALLBACK_RETRY_SCHEDULE: '3600,5' });
    sink = await CallbackSink.start();
  });
  afterAll(async () => {
    await sink?.close();
    await t?.close();
  });

  it('the first attempt waits the first value of CALLBACK_RETRY_SCHEDULE after the event', async () => {
    const r = await t.reseller({ balance: 50_000 });
    const res = await t.order(r.apiKey, { product_code: 'FF70', user_id: '123456', callback_url: `${sink.url}/later` });
    const order = await t.settle(res.json.data.invoice_number);
    const job = await t.kios.db.kysely.selectFrom('jobs').selectAll().where('order_id', '=', order.id).where('kind', '=', 'callback').executeTakeFirstOrThrow();
    expect(job.run_at).toBe(order.completed_at! + 3_600_000);
    expect(job.attempts).toBe(0);
    expect(sink.received).toHaveLength(0);
  });
});
