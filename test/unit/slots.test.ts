import test from 'ava';
import { Slots } from '../../harness/util/slots.js';

test('Slots lets at most size holders in, the rest in arrival order, and a double release frees one slot', async (t) => {
  const slots = new Slots(2);
  const order: string[] = [];
  const a = await slots.acquire();
  const b = await slots.acquire();
  t.is(slots.inUse, 2);
  const c = slots.acquire().then((release) => {
    order.push('c');
    return release;
  });
  const d = slots.acquire().then((release) => {
    order.push('d');
    return release;
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(order, [], 'both wait while two hold');
  a();
  a();
  const releaseC = await c;
  t.deepEqual(order, ['c']);
  t.is(slots.inUse, 2);
  b();
  const releaseD = await d;
  t.deepEqual(order, ['c', 'd']);
  releaseC();
  releaseD();
  t.is(slots.inUse, 0);
  t.throws(() => new Slots(0), { instanceOf: RangeError });
});
