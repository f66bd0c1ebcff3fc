import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Order } from '../db/schema.js';
import { encodeQuery } from '../callbacks/payload.js';
import { callbackParams, createdLine, errorLine, parenDest, pipeDest, statusLine, userLine } from './lines.js';

/** The published collection (a copy under test/fixtures): its example replies are the expected output. */
interface Item {
  name: string;
  item?: Item[];
  description?: string;
  response?: { body?: string }[];
}
const collection = JSON.parse(readFileSync(new URL('../../test/fixtures/spec/kiosgame-indonesia.postman_collection.json', import.meta.url), 'utf8')) as { item: Item[] };
const folder = (name: string) => collection.item.find((i) => i.name === name)!.item!;
const example = (name: string) => folder('H2H (Otomax)').find((i) => i.name === name)!.response![0]!.body!;

function order(o: Partial<Order> = {}): Order {
  return {
    id: 'ord_1',
    reseller_id: 'rs_1',
    invoice_number: 'APIKUY_XX_1679528285_4321',
    trx_id: '1234243244',
    channel: 'otomax',
    product_id: 'p1',
    product_code: 'S1_1187',
    product_name: '5 (5+0) Diamonds',
    category_code: 'XX',
    category_title: 'Mobile Legends',
    category_subtitle: null,
    category_type: 'game',
    user_id: '123456789',
    server_id: '1234',
    inputs: null,
    nickname: 'Nickname',
    price: 1511,
    amount: 1511,
    status: 'SUCCESS',
    ref: 'XX_1679528285_4321',
    response_note: 'Nickname - 123456789(1234) . RefId: XX_1679528285_4321',
    sn: null,
    voucher: null,
    failure_reason: null,
    refunded_amount: 0,
    callback_url: null,
    created_at: 0,
    updated_at: 0,
    completed_at: null,
    ...o,
  };
}

describe('Otomax reply lines', () => {
  it('created: the documented example (with the request trx_id, not the document typo)', () => {
    const doc = example('Create otomax order');
    // The collection prints R#123424324 for trx_id 1234243244; RULINGS' R#{trx_id} wins.
    expect(doc.startsWith('R#123424324 ')).toBe(true);
    const expected = doc.replace('R#123424324 ', 'R#1234243244 ');
    const line = createdLine(order({ status: 'PENDING', ref: 'ML_1680405885_1234' }), 12345);
    expect(line).toBe(expected);
    expect(createdLine(order({ status: 'PENDING', ref: 'ML_1680405885_1234', trx_id: '123424324' }), 12345)).toBe(doc);
  });

  it('status: the documented example, byte for byte', () => {
    expect(statusLine(order(), 12343)).toBe(example('Get otomax invoice detail'));
  });

  it('status: without a server, `{dest()}` is the user alone', () => {
    const o = order({ server_id: null, user_id: '555', response_note: 'Nick - 555 . RefId: R1', status: 'FAILED' });
    expect(statusLine(o, 7)).toBe('R#1234243244 APIKUY_XX_1679528285_4321 S1_1187.555, status FAILED. Nick - 555 . RefId: R1 . Sisa saldo 7');
  });

  it('user: the documented example, byte for byte', () => {
    expect(userLine({ name: 'TopupKuy', email: 'topupkuy@topupkuy.id', roleName: 'Platinum Member', balance: 1234344 })).toBe(example('Get otomax user detail'));
  });

  it('error: RULINGS template', () => {
    expect(errorLine({ trxId: 'T1', productCode: 'S1_1187', dest: pipeDest('123456789', '1234'), code: 'INSUFFICIENT_BALANCE', balance: 10 })).toBe(
      'R#T1 S1_1187.123456789|1234, status FAILED. INSUFFICIENT_BALANCE . Sisa saldo 10',
    );
    expect(errorLine({ trxId: '', productCode: '', dest: '', code: 'BAD_REQUEST', balance: null })).toBe('R# ., status FAILED. BAD_REQUEST . Sisa saldo 0');
  });

  it('dest helpers', () => {
    expect(pipeDest('u', 's')).toBe('u|s');
    expect(pipeDest('u', null)).toBe('u');
    expect(parenDest('u', 's')).toBe('u(s)');
    expect(parenDest('u', null)).toBe('u');
  });

  it('a line break anywhere (a nickname, a reason) never splits a reply', () => {
    const o = order({ response_note: 'Bad\r\nNick - 123456789(1234) . RefId: X\t1' });
    const line = statusLine(o, 1);
    expect(line).not.toMatch(/[\r\n\t]/);
    expect(line).toBe('R#1234243244 APIKUY_XX_1679528285_4321 S1_1187.123456789(1234), status SUCCESS. Bad Nick - 123456789(1234) . RefId: X 1 . Sisa saldo 1');
  });
});

describe('Otomax callback parameters', () => {
  const doc = (() => {
    const d = folder('Callback').find((i) => i.name === 'Callback Otomax')!.description!;
    const url = /<code>(https?:\/\/[^<]+)<\/code>/.exec(d)![1]!.replace(/&amp;/g, '&');
    const data = JSON.parse(/<code class="language-json">([\s\S]*?)<\/code>/.exec(d)![1]!.replace(/\/\/[^\n]*/g, '')) as Record<string, unknown>;
    return { url, data };
  })();

  it('carry the documented values, then serverid, clientid and statuscode', () => {
    const params = callbackParams(order(), 12343);
    expect(params).toEqual([
      ['invoice_number', doc.data.invoice_number],
      ['trx_id', doc.data.trx_id],
      ['status', doc.data.status],
      ['sn', doc.data.sn],
      ['msg', doc.data.msg],
      ['serverid', doc.data.invoice_number],
      ['clientid', doc.data.trx_id],
      ['statuscode', '1'],
    ]);
  });

  it('name the same values as the documented URL (whose raw `#` a real decoder would cut)', () => {
    // Decode the document's query by hand, splitting on `&` only: its `R#` is not encoded.
    const documented = doc.url
      .slice(doc.url.indexOf('?') + 1)
      .split('&')
      .map((kv) => [kv.slice(0, kv.indexOf('=')), decodeURIComponent(kv.slice(kv.indexOf('=') + 1))]);
    expect(callbackParams(order(), 12343).slice(0, 5)).toEqual(documented);
  });

  it.each([
    ['SUCCESS', '1'],
    ['PARTIAL_SUCCESS', '1'],
    ['FAILED', '2'],
    ['REFUNDED', '2'],
  ])('statuscode for %s is %s', (status, code) => {
    expect(new Map(callbackParams(order({ status }), 0)).get('statuscode')).toBe(code);
  });

  it('encode to a query a standard decoder reads back exactly, with no raw # or space', () => {
    const o = order({ nickname: 'A&B #1 (x+y=100%)', response_note: 'A&B #1 (x+y=100%) - 123456789(1234) . RefId: XX_1' });
    const query = encodeQuery(callbackParams(o, 5));
    expect(query).not.toMatch(/[# +]/);
    const back = new URLSearchParams(query);
    expect(back.get('sn')).toBe(o.response_note);
    expect(back.get('msg')).toBe(statusLine(o, 5));
    expect([...back.keys()]).toEqual(['invoice_number', 'trx_id', 'status', 'sn', 'msg', 'serverid', 'clientid', 'statuscode']);
  });
});
