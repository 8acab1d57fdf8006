#!/usr/bin/perl
# sockdiag.pl: the tcpinfo sampler's long-lived NETLINK_SOCK_DIAG helper. perl-base only.
#
# Protocol (one line each way, ASCII, "\n"-terminated; nothing else is ever written to stdout):
#   request  Q <id> <states> <bytecode-hex|->
#            <id> decimal request id; <states> decimal idiag_states mask; bytecode: INET_DIAG_REQ_BYTECODE
#            payload built by the client (sockdiag.bytecode.ts), "-" for none.
#   replies  S <id> <family> <state> <src-hex> <sport> <dst-hex> <dport> <ifindex> <v6only|-> <rqueue> <wqueue> <cong|-> <tcp_info-hex|->
#            one per socket, in the kernel's order; then exactly one of
#            E <id> <count>                 end of the reply, <count> S records were sent
#            X <id> <errno> <strerror text> the query failed (no E follows; S records already sent are void)
# Exits when stdin closes (the agent is gone). Protocol constants: linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h.
#
# Kernel request: one TCPDIAG_GETSOCK dump (struct inet_diag_req, family AF_UNSPEC) for both families; when the kernel
# refuses it, SOCK_DIAG_BY_FAMILY dumps (struct inet_diag_req_v2) for AF_INET, then AF_INET6, from then on. `--by-family`
# starts with the latter. why: each dump walks the kernel's whole established hash table (0.3-0.5 ms with 256 Ki
# buckets) whatever the filter; AF_UNSPEC walks it once for both families (as ss does by default), v2 once per family.
use strict;
use warnings;
use Socket;

my $AF_NETLINK          = 16;
my $SOCK_RAW_CLOEXEC    = 3 | 0x80000;
my $NETLINK_SOCK_DIAG   = 4;
my $SOCK_DIAG_BY_FAMILY = 20;
my $TCPDIAG_GETSOCK     = 18;
my $NLM_F_REQUEST_DUMP  = 0x1 | 0x300;
my $NLMSG_ERROR         = 2;
my $NLMSG_DONE          = 3;
my $IPPROTO_TCP         = 6;
# idiag_ext bits: 1 << (attr - 1) for INET_DIAG_INFO (2) and INET_DIAG_CONG (4).
my $EXT                 = (1 << 1) | (1 << 3);
my ($ATTR_INFO, $ATTR_CONG, $ATTR_V6ONLY, $ATTR_BYTECODE) = (2, 4, 11, 1);
my $RECV_BYTES          = 65536;

$| = 1;
my $by_family = (@ARGV && $ARGV[0] eq '--by-family') ? 1 : 0;
my $nl;
my $seq = 0;

sub errno_text {
    my ($errno) = @_;
    local $! = $errno;
    my $text = "$!";
    $text =~ s/[\r\n]+/ /g;
    return $text;
}

sub open_socket {
    return 0 if defined $nl;
    socket($nl, $AF_NETLINK, $SOCK_RAW_CLOEXEC, $NETLINK_SOCK_DIAG) or do { my $e = $! + 0; undef $nl; return $e || 5 };
    return 0;
}

sub request {
    my ($family, $states, $bytecode) = @_;
    my ($type, $body);
    if ($family == 0) {
        # inet_diag_req: family, src_len, dst_len, ext, a zeroed inet_diag_sockid (48 bytes), states, dbs.
        ($type, $body) = ($TCPDIAG_GETSOCK, pack('CCCC', 0, 0, 0, $EXT) . ("\0" x 48) . pack('LL', $states, 0));
    } else {
        # inet_diag_req_v2: family, protocol, ext, pad, states, a zeroed inet_diag_sockid.
        ($type, $body) = ($SOCK_DIAG_BY_FAMILY, pack('CCCCL', $family, $IPPROTO_TCP, $EXT, 0, $states) . ("\0" x 48));
    }
    if (length $bytecode) {
        $body .= pack('SS', 4 + length $bytecode, $ATTR_BYTECODE) . $bytecode;
        $body .= "\0" x ((4 - length($bytecode) % 4) % 4);
    }
    $seq = ($seq + 1) & 0x7fffffff;
    return (pack('LSSLL', 16 + length $body, $type, $NLM_F_REQUEST_DUMP, $seq, 0) . $body, $seq, $type);
}

# One socket record from an inet_diag_msg and its attributes; undef when the message is too short.
sub record {
    my ($id, $msg) = @_;
    return undef if length $msg < 72;
    my ($family, $state, $sport, $dport, $src, $dst, $ifindex) = unpack('CCx2nna16a16L', $msg);
    my ($rqueue, $wqueue) = unpack('x56LL', $msg);
    my $alen = $family == 2 ? 4 : 16;
    my ($cong, $info, $v6only) = ('-', '-', '-');
    my $off = 72;
    while ($off + 4 <= length $msg) {
        my ($len, $type) = unpack("x${off}SS", $msg);
        last if $len < 4 || $off + $len > length $msg;
        my $data = substr($msg, $off + 4, $len - 4);
        if ($type == $ATTR_INFO) { $info = unpack('H*', $data) }
        elsif ($type == $ATTR_CONG) { ($cong = $data) =~ s/\0.*//s; $cong =~ s/[^\x21-\x7e]/?/g; $cong = '-' if $cong eq '' }
        elsif ($type == $ATTR_V6ONLY && $len >= 5) { $v6only = unpack('C', $data) ? 1 : 0 }
        $off += ($len + 3) & ~3;
    }
    $info = '-' if $info eq '';
    return join(' ', 'S', $id, $family, $state, unpack('H*', substr($src, 0, $alen)), $sport,
        unpack('H*', substr($dst, 0, $alen)), $dport, $ifindex, $v6only, $rqueue, $wqueue, $cong, $info) . "\n";
}

# Dumps one family into @$out; returns 0 or a positive errno.
sub dump_family {
    my ($id, $family, $states, $bytecode, $out) = @_;
    my ($req, $myseq, $reqtype) = request($family, $states, $bytecode);
    defined send($nl, $req, 0, pack('SSLL', $AF_NETLINK, 0, 0, 0)) or return $! + 0 || 5;
    while (1) {
        my $buf = '';
        defined recv($nl, $buf, $RECV_BYTES, 0) or return $! + 0 || 5;
        return 5 if $buf eq '';
        my $off = 0;
        while ($off + 16 <= length $buf) {
            my ($len, $type, $flags, $mseq) = unpack("x${off}LSSL", $buf);
            return 5 if $len < 16 || $off + $len > length $buf;
            my $payload = substr($buf, $off + 16, $len - 16);
            $off += ($len + 3) & ~3;
            next if $mseq != $myseq;
            if ($type == $NLMSG_DONE) {
                my $err = length $payload >= 4 ? unpack('l', $payload) : 0;
                return $err < 0 ? -$err : 0;
            }
            if ($type == $NLMSG_ERROR) {
                my $err = unpack('l', $payload);
                return -$err if $err < 0;
                next;
            }
            next if $type != $reqtype;
            my $line = record($id, $payload);
            push @$out, $line if defined $line;
        }
    }
}

while (defined(my $line = <STDIN>)) {
    chomp $line;
    if ($line !~ /^Q (\d{1,9}) (\d{1,10}) (-|(?:[0-9a-f]{2})+)$/) {
        my $id = $line =~ /^Q (\d{1,9})\b/ ? $1 : 0;
        print "X $id 22 bad request\n";
        next;
    }
    my ($id, $states, $hex) = ($1, $2, $3);
    my $bytecode = $hex eq '-' ? '' : pack('H*', $hex);
    my $err = open_socket();
    my @out;
    if (!$err && $by_family == 0) {
        $err = dump_family($id, 0, $states, $bytecode, \@out);
        if ($err) {
            # why: a kernel without the compat request answers with an errno: ask per family from now on.
            ($by_family, $err, @out) = (1, 0);
            close $nl;
            undef $nl;
            $err = open_socket();
        }
    }
    for my $family ($by_family ? (2, 10) : ()) {
        last if $err;
        $err = dump_family($id, $family, $states, $bytecode, \@out);
    }
    if ($err) {
        # why: after a failed exchange the socket may hold the rest of a dump; a fresh one starts clean.
        close $nl if defined $nl;
        undef $nl;
        print "X $id $err " . errno_text($err) . "\n";
    } else {
        print join('', @out) . "E $id " . scalar(@out) . "\n";
    }
}
exit 0;
