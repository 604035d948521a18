/**
 * Truth tables of the upstream Kubernetes NetworkPolicy e2e tests
 * (kubernetes/kubernetes test/e2e/network/netpol/network_policy.go), written down as facts: the
 * policies each test creates and the reachability it expects per pod pair.
 *
 * Model (as upstream): namespaces x, y, z labelled `ns: <name>` (plus the automatic
 * `kubernetes.io/metadata.name`); pods a, b, c in each, labelled `pod: <name>`, serving ports 80 and 81
 * on TCP, UDP and SCTP with container ports named `serve-<port>-<protocol>`. Reachability starts
 * all-allowed, then each expectation overrides it in order; `{}` in a peer means "any". Loopback
 * (a pod to itself) is not judged, as upstream. Pod IPs (for the ipBlock cases) are ours:
 * x/a 10.0.0.1 ... z/c 10.0.2.3; the "large CIDR" around x/b is 10.0.0.0/16.
 */

export type Proto = 'TCP' | 'UDP' | 'SCTP';
export interface PeerRef {
  ns?: string;
  pod?: string;
}
export type Expectation =
  | { peer: [PeerRef, PeerRef, boolean] }
  | { allIngress: [string, boolean] }
  | { allEgress: [string, boolean] }
  | { pair: [string, string, boolean] };

export interface UpstreamPolicy {
  namespace: string;
  name: string;
  spec: Record<string, unknown>;
}

export interface UpstreamCase {
  name: string;
  policies: UpstreamPolicy[];
  /** Extra labels added to pods (`x/a` → labels) or namespaces (`y` → labels) for this case. */
  podLabels?: Record<string, Record<string, string>>;
  nsLabels?: Record<string, Record<string, string>>;
  probes: { port: number; protocol: Proto; expect: Expectation[] }[];
}

const NS = 'kubernetes.io/metadata.name';
const podSel = (pod: string) => ({ matchLabels: { pod } });
const denyIngress = { podSelector: {}, policyTypes: ['Ingress'] };
const ingressOnly = (selector: object, ...rules: object[]) => ({
  podSelector: selector,
  policyTypes: ['Ingress'],
  ingress: rules,
});
const egressOnly = (selector: object, ...rules: object[]) => ({
  podSelector: selector,
  policyTypes: ['Egress'],
  egress: rules,
});

export const upstreamCases: UpstreamCase[] = [
  {
    name: "should support a 'default-deny-ingress' policy",
    policies: [{ namespace: 'x', name: 'deny-ingress', spec: denyIngress }],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ peer: [{}, { ns: 'x' }, false] }] }],
  },
  {
    name: "should support a 'default-deny-all' policy",
    policies: [{ namespace: 'x', name: 'deny-all', spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [{ peer: [{}, { ns: 'x' }, false] }, { peer: [{ ns: 'x' }, {}, false] }],
      },
    ],
  },
  {
    name: 'should enforce policy to allow traffic from pods within server namespace based on PodSelector',
    policies: [{ namespace: 'x', name: 'x-a-allows-x-b', spec: ingressOnly(podSel('a'), { from: [{ podSelector: podSel('b') }] }) }],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }, { pair: ['x/b', 'x/a', true] }] }],
  },
  {
    name: 'should enforce policy to allow ingress traffic for a target',
    policies: [
      { namespace: 'x', name: 'deny-all', spec: denyIngress },
      {
        namespace: 'x',
        name: 'allow-all-to-a',
        spec: ingressOnly(podSel('a'), { from: [{ podSelector: {}, namespaceSelector: {} }] }),
      },
    ],
    probes: [
      { port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', true] }, { allIngress: ['x/b', false] }, { allIngress: ['x/c', false] }] },
    ],
  },
  {
    name: 'should enforce policy to allow ingress traffic from pods in all namespaces',
    policies: [
      { namespace: 'x', name: 'allow-from-another-ns', spec: ingressOnly(podSel('a'), { from: [{ namespaceSelector: { matchLabels: {} } }] }) },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [] }],
  },
  {
    name: 'should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-ns-selector',
        spec: ingressOnly(podSel('a'), { from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }] }),
      },
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [{ peer: [{ ns: 'x' }, { ns: 'x', pod: 'a' }, false] }, { peer: [{ ns: 'z' }, { ns: 'x', pod: 'a' }, false] }],
      },
    ],
  },
  {
    name: 'should enforce policy based on PodSelector with MatchExpressions',
    policies: [
      {
        namespace: 'x',
        name: 'x-a-allows-x-b',
        spec: ingressOnly(podSel('a'), {
          from: [{ podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b'] }] } }],
        }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }, { pair: ['x/b', 'x/a', true] }] }],
  },
  {
    name: 'should enforce policy based on NamespaceSelector with MatchExpressions',
    policies: [
      {
        namespace: 'x',
        name: 'allow-ns-y-match-selector',
        spec: ingressOnly(podSel('a'), {
          from: [{ namespaceSelector: { matchExpressions: [{ key: NS, operator: 'In', values: ['y'] }] } }],
        }),
      },
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [{ peer: [{ ns: 'x' }, { ns: 'x', pod: 'a' }, false] }, { peer: [{ ns: 'z' }, { ns: 'x', pod: 'a' }, false] }],
      },
    ],
  },
  {
    name: 'should enforce policy based on PodSelector or NamespaceSelector',
    policies: [
      {
        namespace: 'x',
        name: 'allow-ns-y-match-selector',
        spec: ingressOnly(podSel('a'), {
          from: [
            { namespaceSelector: { matchExpressions: [{ key: NS, operator: 'NotIn', values: ['x'] }] } },
            { podSelector: podSel('b') },
          ],
        }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ pair: ['x/a', 'x/a', false] }, { pair: ['x/c', 'x/a', false] }] }],
  },
  {
    name: 'should enforce policy based on PodSelector and NamespaceSelector',
    policies: [
      {
        namespace: 'x',
        name: 'allow-ns-y-podselector-and-nsselector',
        spec: ingressOnly(podSel('a'), {
          from: [
            {
              namespaceSelector: { matchExpressions: [{ key: NS, operator: 'NotIn', values: ['x'] }] },
              podSelector: podSel('b'),
            },
          ],
        }),
      },
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [{ allIngress: ['x/a', false] }, { pair: ['y/b', 'x/a', true] }, { pair: ['z/b', 'x/a', true] }],
      },
    ],
  },
  {
    name: 'should enforce policy based on Multiple PodSelectors and NamespaceSelectors',
    policies: [
      {
        namespace: 'x',
        name: 'allow-ns-y-z-pod-b-c',
        spec: ingressOnly(podSel('a'), {
          from: [
            {
              namespaceSelector: { matchExpressions: [{ key: NS, operator: 'NotIn', values: ['x'] }] },
              podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b', 'c'] }] },
            },
          ],
        }),
      },
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [
          { peer: [{ ns: 'x' }, { ns: 'x', pod: 'a' }, false] },
          { pair: ['y/a', 'x/a', false] },
          { pair: ['z/a', 'x/a', false] },
        ],
      },
    ],
  },
  {
    name: 'should enforce policy based on any PodSelectors',
    policies: [
      {
        namespace: 'x',
        name: 'allow-ns-x-pod-b-c',
        spec: ingressOnly(podSel('a'), { from: [{ podSelector: podSel('b') }, { podSelector: podSel('c') }] }),
      },
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [{ allIngress: ['x/a', false] }, { pair: ['x/b', 'x/a', true] }, { pair: ['x/c', 'x/a', true] }],
      },
    ],
  },
  {
    name: 'should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector',
    policies: [
      {
        namespace: 'x',
        name: 'allow-ns-y-pod-a-via-namespace-pod-selector',
        spec: ingressOnly(podSel('a'), {
          from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } }, podSelector: podSel('a') }],
        }),
      },
    ],
    probes: (['TCP', 'UDP', 'SCTP'] as const).map((protocol) => ({
      port: 80,
      protocol,
      expect: [{ allIngress: ['x/a', false] as [string, boolean] }, { pair: ['y/a', 'x/a', true] as [string, string, boolean] }],
    })),
  },
  {
    name: 'should enforce policy based on Ports',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-ns-selector',
        spec: ingressOnly(podSel('a'), {
          from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }],
          ports: [{ port: 81, protocol: 'TCP' }],
        }),
      },
    ],
    probes: [
      {
        port: 81,
        protocol: 'TCP',
        expect: [
          { peer: [{ ns: 'x' }, { ns: 'x', pod: 'a' }, false] },
          { peer: [{ ns: 'y' }, { ns: 'x', pod: 'a' }, true] },
          { peer: [{ ns: 'z' }, { ns: 'x', pod: 'a' }, false] },
        ],
      },
      { port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }] },
    ],
  },
  {
    name: 'should enforce policy based on Ports (UDP)',
    policies: [
      {
        namespace: 'x',
        name: 'allow-ingress-on-port-81-ns-x',
        spec: ingressOnly(podSel('a'), {
          from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }],
          ports: [{ port: 81, protocol: 'UDP' }],
        }),
      },
    ],
    probes: [
      {
        port: 81,
        protocol: 'UDP',
        expect: [{ peer: [{ ns: 'x' }, { ns: 'x', pod: 'a' }, false] }, { peer: [{ ns: 'z' }, { ns: 'x', pod: 'a' }, false] }],
      },
    ],
  },
  {
    name: 'should enforce policy based on Ports (SCTP)',
    policies: [
      {
        namespace: 'x',
        name: 'allow-ingress-on-port-81-ns-x',
        spec: ingressOnly(podSel('a'), {
          from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }],
          ports: [{ port: 81, protocol: 'SCTP' }],
        }),
      },
    ],
    probes: [
      {
        port: 81,
        protocol: 'SCTP',
        expect: [{ peer: [{ ns: 'x' }, { ns: 'x', pod: 'a' }, false] }, { peer: [{ ns: 'z' }, { ns: 'x', pod: 'a' }, false] }],
      },
    ],
  },
  {
    name: 'should enforce multiple, stacked policies with overlapping podSelectors',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-ns-selector',
        spec: ingressOnly(podSel('a'), {
          from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }],
          ports: [{ port: 81, protocol: 'TCP' }],
        }),
      },
      {
        namespace: 'x',
        name: 'allow-client-a-via-ns-selector-80',
        spec: ingressOnly(podSel('a'), {
          from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }],
          ports: [{ port: 80, protocol: 'TCP' }],
        }),
      },
    ],
    probes: [80, 81].map((port) => ({
      port,
      protocol: 'TCP' as const,
      expect: [
        { peer: [{ ns: 'x' }, { ns: 'x', pod: 'a' }, false] as [PeerRef, PeerRef, boolean] },
        { peer: [{ ns: 'y' }, { ns: 'x', pod: 'a' }, true] as [PeerRef, PeerRef, boolean] },
        { peer: [{ ns: 'z' }, { ns: 'x', pod: 'a' }, false] as [PeerRef, PeerRef, boolean] },
      ],
    })),
  },
  {
    name: 'should support allow-all policy',
    policies: [{ namespace: 'x', name: 'allow-all', spec: ingressOnly({}, {}) }],
    probes: [
      { port: 80, protocol: 'TCP', expect: [] },
      { port: 81, protocol: 'TCP', expect: [] },
    ],
  },
  {
    name: 'should allow ingress access on one named port',
    policies: [{ namespace: 'x', name: 'allow-all', spec: ingressOnly({}, { ports: [{ port: 'serve-81-tcp' }] }) }],
    probes: [
      { port: 81, protocol: 'TCP', expect: [] },
      { port: 80, protocol: 'TCP', expect: [{ peer: [{}, { ns: 'x' }, false] }] },
    ],
  },
  {
    name: 'should allow ingress access from namespace on one named port',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-ns-selector-80',
        spec: ingressOnly(podSel('a'), {
          from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }],
          ports: [{ port: 'serve-80-tcp', protocol: 'TCP' }],
        }),
      },
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [{ peer: [{ ns: 'x' }, { ns: 'x', pod: 'a' }, false] }, { peer: [{ ns: 'z' }, { ns: 'x', pod: 'a' }, false] }],
      },
      { port: 81, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }] },
    ],
  },
  {
    name: 'should allow egress access on one named port',
    policies: [{ namespace: 'x', name: 'allow-egress', spec: egressOnly({}, { ports: [{ port: 'serve-80-tcp' }] }) }],
    probes: [
      { port: 80, protocol: 'TCP', expect: [] },
      { port: 81, protocol: 'TCP', expect: [{ peer: [{ ns: 'x' }, {}, false] }] },
    ],
  },
  {
    name: 'should enforce updated policy (after the update to deny all)',
    policies: [{ namespace: 'x', name: 'allow-all-mutate-to-deny-all', spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [] } }],
    probes: [{ port: 81, protocol: 'TCP', expect: [{ peer: [{}, { ns: 'x' }, false] }] }],
  },
  {
    name: 'should allow ingress access from updated namespace (before the label)',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-ns-selector',
        spec: ingressOnly(podSel('a'), { from: [{ namespaceSelector: { matchLabels: { ns2: 'updated' } } }] }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }] }],
  },
  {
    name: 'should allow ingress access from updated namespace (after the label)',
    nsLabels: { y: { ns2: 'updated' } },
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-ns-selector',
        spec: ingressOnly(podSel('a'), { from: [{ namespaceSelector: { matchLabels: { ns2: 'updated' } } }] }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }, { peer: [{ ns: 'y' }, {}, true] }] }],
  },
  {
    name: 'should allow ingress access from updated pod (after the label)',
    podLabels: { 'x/b': { pod2: 'updated' } },
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-pod-selector',
        spec: ingressOnly(podSel('a'), { from: [{ podSelector: { matchLabels: { pod: 'b', pod2: 'updated' } } }] }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }, { pair: ['x/b', 'x/a', true] }] }],
  },
  {
    name: 'should deny ingress from pods on other namespaces',
    policies: [{ namespace: 'x', name: 'deny-empty-policy', spec: ingressOnly({}, { from: [{ podSelector: { matchLabels: {} } }] }) }],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [{ peer: [{ ns: 'y' }, { ns: 'x' }, false] }, { peer: [{ ns: 'z' }, { ns: 'x' }, false] }],
      },
    ],
  },
  {
    name: 'should deny ingress access to updated pod (after the label)',
    podLabels: { 'x/a': { target: 'isolated' } },
    policies: [
      {
        namespace: 'x',
        name: 'deny-ingress-via-label-selector',
        spec: { podSelector: { matchLabels: { target: 'isolated' } }, policyTypes: ['Ingress'] },
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }] }],
  },
  {
    name: 'should deny egress from pods based on PodSelector',
    policies: [{ namespace: 'x', name: 'deny-egress-pod-a', spec: { podSelector: podSel('a'), policyTypes: ['Egress'] } }],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allEgress: ['x/a', false] }] }],
  },
  {
    name: 'should deny egress from all pods in a namespace',
    policies: [{ namespace: 'x', name: 'deny-egress-ns-x', spec: { podSelector: {}, policyTypes: ['Egress'] } }],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ peer: [{ ns: 'x' }, {}, false] }] }],
  },
  {
    name: 'should work with Ingress, Egress specified together',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-pod-selector',
        spec: {
          podSelector: podSel('a'),
          policyTypes: ['Egress', 'Ingress'],
          ingress: [{ from: [{ podSelector: podSel('b') }] }],
          egress: [{ ports: [{ port: 80 }] }],
        },
      },
    ],
    probes: [
      { port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }, { pair: ['x/b', 'x/a', true] }] },
      {
        port: 81,
        protocol: 'TCP',
        expect: [{ allIngress: ['x/a', false] }, { allEgress: ['x/a', false] }, { pair: ['x/b', 'x/a', true] }],
      },
    ],
  },
  {
    name: 'should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)',
    policies: [
      {
        namespace: 'x',
        name: 'allow-to-ns-y-pod-a',
        spec: egressOnly(podSel('a'), { to: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } }, podSelector: podSel('a') }] }),
      },
      {
        namespace: 'y',
        name: 'allow-from-xa-on-ya-match-selector',
        spec: ingressOnly(podSel('a'), { from: [{ namespaceSelector: { matchLabels: { [NS]: 'x' } }, podSelector: podSel('a') }] }),
      },
      {
        namespace: 'y',
        name: 'allow-from-xa-on-yb-match-selector',
        spec: ingressOnly(podSel('b'), { from: [{ namespaceSelector: { matchLabels: { [NS]: 'x' } }, podSelector: podSel('a') }] }),
      },
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [
          { peer: [{ ns: 'x', pod: 'a' }, {}, false] },
          { peer: [{}, { ns: 'y', pod: 'a' }, false] },
          { peer: [{ ns: 'x', pod: 'a' }, { ns: 'y', pod: 'a' }, true] },
          { peer: [{}, { ns: 'y', pod: 'b' }, false] },
        ],
      },
    ],
  },
  {
    name: 'should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector',
    policies: [
      {
        namespace: 'x',
        name: 'allow-to-ns-y-pod-a',
        spec: egressOnly(podSel('a'), { to: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } }, podSelector: podSel('a') }] }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allEgress: ['x/a', false] }, { pair: ['x/a', 'y/a', true] }] }],
  },
  {
    name: 'should enforce ingress policy allowing any port traffic to a server on a specific protocol',
    policies: [{ namespace: 'x', name: 'allow-ingress-by-proto', spec: ingressOnly(podSel('a'), { ports: [{ protocol: 'TCP' }] }) }],
    probes: [
      { port: 80, protocol: 'TCP', expect: [] },
      { port: 80, protocol: 'UDP', expect: [{ peer: [{}, { ns: 'x', pod: 'a' }, false] }] },
    ],
  },
  {
    name: 'should enforce multiple ingress policies with ingress allow-all policy taking precedence (before allow-all)',
    policies: [{ namespace: 'x', name: 'allow-ingress-port-80', spec: ingressOnly({}, { ports: [{ port: 80 }] }) }],
    probes: [{ port: 81, protocol: 'TCP', expect: [{ peer: [{}, { ns: 'x' }, false] }] }],
  },
  {
    name: 'should enforce multiple ingress policies with ingress allow-all policy taking precedence (after allow-all)',
    policies: [
      { namespace: 'x', name: 'allow-ingress-port-80', spec: ingressOnly({}, { ports: [{ port: 80 }] }) },
      { namespace: 'x', name: 'allow-ingress', spec: ingressOnly({}, {}) },
    ],
    probes: [{ port: 81, protocol: 'TCP', expect: [] }],
  },
  {
    name: 'should enforce multiple egress policies with egress allow-all policy taking precedence (before allow-all)',
    policies: [{ namespace: 'x', name: 'allow-egress-port-80', spec: egressOnly({}, { ports: [{ port: 80 }] }) }],
    probes: [{ port: 81, protocol: 'TCP', expect: [{ peer: [{ ns: 'x' }, {}, false] }] }],
  },
  {
    name: 'should enforce multiple egress policies with egress allow-all policy taking precedence (after allow-all)',
    policies: [
      { namespace: 'x', name: 'allow-egress-port-80', spec: egressOnly({}, { ports: [{ port: 80 }] }) },
      { namespace: 'x', name: 'allow-egress', spec: egressOnly({}, {}) },
    ],
    probes: [{ port: 81, protocol: 'TCP', expect: [] }],
  },
  {
    name: 'should allow egress access to server in CIDR block',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-cidr-egress-rule',
        spec: egressOnly(podSel('a'), { to: [{ ipBlock: { cidr: '10.0.1.2/32' } }] }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allEgress: ['x/a', false] }, { pair: ['x/a', 'y/b', true] }] }],
  },
  {
    name: 'should enforce except clause while egress access to server in CIDR block',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-cidr-egress-rule',
        spec: egressOnly(podSel('a'), { to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.2/32'] } }] }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ pair: ['x/a', 'x/b', false] }] }],
  },
  {
    name: 'should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed (after the update)',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-cidr-egress-rule',
        spec: egressOnly(podSel('a'), { to: [{ ipBlock: { cidr: '10.0.0.2/32' } }] }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allEgress: ['x/a', false] }, { pair: ['x/a', 'x/b', true] }] }],
  },
  {
    name: 'should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector',
    policies: [
      { namespace: 'x', name: 'allow-egress-for-target', spec: egressOnly(podSel('a'), {}) },
      { namespace: 'x', name: 'deny-ingress-via-label-selector', spec: { podSelector: podSel('a'), policyTypes: ['Ingress'] } },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }] }],
  },
  {
    name: "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
    policies: [
      { namespace: 'x', name: 'deny-ingress', spec: denyIngress },
      {
        namespace: 'x',
        name: 'allow-only-sctp-ingress-on-port-81',
        spec: ingressOnly(podSel('a'), { ports: [{ port: 81, protocol: 'SCTP' }] }),
      },
    ],
    probes: [
      { port: 81, protocol: 'TCP', expect: [{ peer: [{}, { ns: 'x' }, false] }] },
      { port: 81, protocol: 'SCTP', expect: [{ peer: [{}, { ns: 'x' }, false] }, { allIngress: ['x/a', true] }] },
    ],
  },
  {
    name: "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP",
    policies: [
      {
        namespace: 'x',
        name: 'allow-only-sctp-ingress-on-port-80',
        spec: ingressOnly(podSel('a'), { ports: [{ port: 80, protocol: 'SCTP' }] }),
      },
    ],
    probes: [{ port: 81, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }] }],
  },
  {
    name: 'should not allow access by TCP when a policy specifies only UDP',
    policies: [
      {
        namespace: 'x',
        name: 'allow-only-udp-ingress-on-port-81',
        spec: ingressOnly(podSel('a'), { ports: [{ port: 81, protocol: 'UDP' }] }),
      },
    ],
    probes: [
      { port: 81, protocol: 'TCP', expect: [{ allIngress: ['x/a', false] }] },
      { port: 81, protocol: 'UDP', expect: [] },
    ],
  },
  {
    name: 'should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label',
    policies: [
      {
        namespace: 'x',
        name: 'allow-client-a-via-ns-selector-for-immutable-ns-label',
        spec: ingressOnly(podSel('a'), { from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }] }),
      },
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        expect: [{ peer: [{ ns: 'x' }, { ns: 'x', pod: 'a' }, false] }, { peer: [{ ns: 'z' }, { ns: 'x', pod: 'a' }, false] }],
      },
    ],
  },
  {
    name: 'should enforce policy based on NamespaceSelector with MatchExpressions using default ns label',
    policies: [
      {
        namespace: 'x',
        name: 'allow-ns-y-match-selector-for-immutable-ns-label',
        spec: egressOnly(podSel('a'), {
          to: [{ namespaceSelector: { matchExpressions: [{ key: NS, operator: 'NotIn', values: ['y'] }] } }],
        }),
      },
    ],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ peer: [{ ns: 'x', pod: 'a' }, { ns: 'y' }, false] }] }],
  },
  {
    name: "should support a 'default-deny-ingress' policy (UDP)",
    policies: [{ namespace: 'x', name: 'deny-all', spec: denyIngress }],
    probes: [{ port: 80, protocol: 'UDP', expect: [{ peer: [{}, { ns: 'x' }, false] }] }],
  },
  {
    name: "should support a 'default-deny-ingress' policy (SCTP)",
    policies: [{ namespace: 'x', name: 'deny-all', spec: denyIngress }],
    probes: [{ port: 80, protocol: 'SCTP', expect: [{ peer: [{}, { ns: 'x' }, false] }] }],
  },
  {
    name: 'should stop enforcing policies after they are deleted (while present)',
    policies: [{ namespace: 'x', name: 'deny-all', spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }],
    probes: [{ port: 80, protocol: 'TCP', expect: [{ peer: [{ ns: 'x' }, {}, false] }, { peer: [{}, { ns: 'x' }, false] }] }],
  },
  {
    name: 'should stop enforcing policies after they are deleted (after the deletion)',
    policies: [],
    probes: [{ port: 80, protocol: 'TCP', expect: [] }],
  },
];
